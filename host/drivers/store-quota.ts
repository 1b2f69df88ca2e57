// What a driver may keep in its store. Every value a guest stores is copied out of its linear
// memory, so it escapes the memory cap: 120 values of 16 MiB in one call grew the daemon past
// 4 GiB, and every later instance of that driver was handed them again. The quota is checked
// twice: in the worker, so the guest gets its `err` from store.set, and by the host before it
// applies a call's writes, since a compromised worker is not to be trusted either.
import { Forbidden } from './errors.js';
import type { StoreWrite } from './store.js';

export interface StoreQuota {
  /** Largest value. */
  valueBytes: number;
  /** Bytes (keys and values) one call (or init) may set. */
  callBytes: number;
  /** Keys one call may set. */
  callKeys: number;
  /** Bytes (keys and values) the store may hold. */
  totalBytes: number;
  /** Keys the store may hold. */
  totalKeys: number;
}

/**
 * A driver keeps a few short records per network and endpoint (the built-in bridge: five keys
 * per network, up to three per endpoint): 100 000 keys and 16 MiB hold tens of thousands of
 * endpoints, and one call never needs more than a few keys. The bytes keep every driver at its
 * quota together far below the daemon's memory; raise it per owner for a driver that needs more.
 */
export const DEFAULT_STORE_QUOTA: StoreQuota = {
  valueBytes: 2 ** 20,
  callBytes: 4 * 2 ** 20,
  callKeys: 1000,
  totalBytes: 16 * 2 ** 20,
  totalKeys: 100_000,
};

/** LMDB refuses keys over ~2 KB (the owner's prefix included): a longer key would fail the write. */
export const KEY_MAX_BYTES = 512;

/** A write past the store's quota. */
export class StoreQuotaExceeded extends Forbidden {
  constructor(owner: string, why: string) {
    super(`store quota of ${owner}: ${why}`);
    this.name = 'StoreQuotaExceeded';
  }
}

const sizeOf = (key: string, value: Uint8Array): number => Buffer.byteLength(key) + value.length;

/** A store's usage against its quota, per call and in total. */
export class StoreUsage {
  readonly #sizes = new Map<string, number>();
  #bytes = 0;
  #callBytes = 0;
  #callKeys = 0;

  constructor(
    readonly quota: StoreQuota,
    entries: Iterable<[string, Uint8Array]>,
  ) {
    for (const [key, value] of entries) this.#set(key, sizeOf(key, value));
  }

  /** Why the store's content is over its total quota, or undefined. */
  overTotal(): string | undefined {
    const { totalBytes, totalKeys } = this.quota;
    if (this.#sizes.size > totalKeys) return `it holds ${this.#sizes.size} keys, over the ${totalKeys}-key quota`;
    if (this.#bytes > totalBytes) return `it holds ${this.#bytes} bytes, over the ${totalBytes}-byte quota`;
    return undefined;
  }

  /** Why this write would break the quota, or undefined. */
  refusal([key, value]: StoreWrite): string | undefined {
    if (value === null) return undefined;
    const { valueBytes, callBytes, callKeys, totalBytes, totalKeys } = this.quota;
    const size = sizeOf(key, value);
    const before = this.#sizes.get(key);
    if (Buffer.byteLength(key) > KEY_MAX_BYTES)
      return `a key of ${Buffer.byteLength(key)} bytes (at most ${KEY_MAX_BYTES})`;
    if (value.length > valueBytes) return `a value of ${value.length} bytes (at most ${valueBytes})`;
    if (this.#callKeys + 1 > callKeys) return `more than ${callKeys} keys set in one call`;
    if (this.#callBytes + size > callBytes) return `more than ${callBytes} bytes set in one call`;
    if (before === undefined && this.#sizes.size + 1 > totalKeys) return `more than ${totalKeys} keys`;
    if (this.#bytes - (before ?? 0) + size > totalBytes) return `more than ${totalBytes} bytes`;
    return undefined;
  }

  /** Counts a write that was allowed. */
  apply([key, value]: StoreWrite): void {
    if (value === null) {
      this.#bytes -= this.#sizes.get(key) ?? 0;
      this.#sizes.delete(key);
      return;
    }
    this.#callKeys += 1;
    this.#callBytes += sizeOf(key, value);
    this.#set(key, sizeOf(key, value));
  }

  /** The call ended: the next one starts with its own per-call allowance. */
  endCall(): void {
    this.#callBytes = 0;
    this.#callKeys = 0;
  }

  #set(key: string, size: number): void {
    this.#bytes += size - (this.#sizes.get(key) ?? 0);
    this.#sizes.set(key, size);
  }
}
