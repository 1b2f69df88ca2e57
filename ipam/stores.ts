// The address store of one pool: a lazily chunked bitmap for IPv4 (a full /8 is 2 MiB), a run
// set for IPv6 (memory follows what is allocated, never the pool's size: moby#40275).
import { formatV4, formatV6, parseV4, parseV6 } from './address.js';
import { AddressRange, type AddressFamily, type AddressStore } from './address-range.js';
import { Bitmap } from './bitmap.js';
import type { Prefix } from './prefix.js';
import { RangeSet } from './range-set.js';

const v4Family: AddressFamily<number> = {
  parse: parseV4,
  format: formatV4,
  step: (value, by) => value + by,
};

const v6Family: AddressFamily<bigint> = {
  parse: parseV6,
  format: formatV6,
  step: (value, by) => value + BigInt(by),
};

class V4Store implements AddressStore<number> {
  private readonly bits: Bitmap;

  constructor(
    private readonly base: number,
    size: number,
    private readonly reservedValues: readonly number[],
  ) {
    this.bits = new Bitmap(size);
    for (const value of reservedValues) this.take(value);
  }

  has(value: number): boolean {
    return this.bits.has(value - this.base);
  }
  take(value: number): void {
    this.bits.set(value - this.base);
  }
  free(value: number): void {
    this.bits.clear(value - this.base);
  }
  next(from: number, to: number): number | undefined {
    const found = this.bits.nextClear(from - this.base, to - this.base);
    return found < 0 ? undefined : found + this.base;
  }
  reserved(value: number): boolean {
    return this.reservedValues.includes(value);
  }
}

class V6Store implements AddressStore<bigint> {
  private readonly taken = new RangeSet();

  constructor(private readonly reservedValues: readonly bigint[]) {
    for (const value of reservedValues) this.take(value);
  }

  has(value: bigint): boolean {
    return this.taken.has(value);
  }
  take(value: bigint): void {
    this.taken.add(value, value);
  }
  free(value: bigint): void {
    this.taken.delete(value, value);
  }
  next(from: bigint, to: bigint): bigint | undefined {
    return this.taken.nextAbsent(from, to);
  }
  reserved(value: bigint): boolean {
    return this.reservedValues.includes(value);
  }
}

/** What a pool's ranges share; `range` opens the whole pool or a sub-pool of it. */
export interface PoolAddresses {
  range(sub: Prefix): AddressRange<number> | AddressRange<bigint>;
}

/** The network address is reserved except in /31, /32 (/127, /128); the IPv4 broadcast too. */
export function openPoolAddresses(pool: Prefix): PoolAddresses {
  const bits = pool.v6 ? 128 : 32;
  const reserved: bigint[] = [];
  if (pool.length < bits - 1) reserved.push(pool.first);
  if (!pool.v6 && pool.length < 31) reserved.push(pool.last);
  const suffix = `/${pool.length}`;
  if (!pool.v6) {
    const store = new V4Store(Number(pool.first), Number(pool.last - pool.first) + 1, reserved.map(Number));
    return { range: (sub) => new AddressRange(store, v4Family, Number(sub.first), Number(sub.last), suffix) };
  }
  const store = new V6Store(reserved);
  return { range: (sub) => new AddressRange(store, v6Family, sub.first, sub.last, suffix) };
}
