// Block arithmetic of the global IPAM: the block an address falls in, the part of a block a
// pool view gives addresses from, the lowest block nobody holds.
import { parseV4, parseV6 } from '../address.js';
import type { AddressRange } from '../address-range.js';
import { IpamError } from '../errors.js';
import type { PoolView } from '../pools.js';
import { contains, familyBits, formatAddress, formatPrefix, prefixOf, type Prefix } from '../prefix.js';

/** The value of `address` (an optional "/len" is ignored), or undefined when malformed or outside `range`. */
export function valueIn(range: Prefix, address: string): bigint | undefined {
  const parsed = typeof address !== 'string' ? undefined : range.v6 ? parseV6(address) : parseV4(address);
  const value = parsed === undefined ? undefined : BigInt(parsed);
  return value === undefined || value < range.first || value > range.last ? undefined : value;
}

/** valueIn, with ErrIPOutOfRange for an address that is malformed or outside `range`. */
export function addressIn(range: Prefix, address: string): bigint {
  const value = valueIn(range, address);
  if (value === undefined)
    throw new IpamError('ErrIPOutOfRange', `${address} is not an address of ${formatPrefix(range)}`);
  return value;
}

export function blockOf(pool: Prefix, blockLength: number, value: bigint): Prefix {
  return prefixOf(pool.v6, value, blockLength);
}

/** The addresses of `block` that `view` gives (blocks and views nest), or undefined if none. */
export function blockRange(view: PoolView, block: Prefix): AddressRange<number> | AddressRange<bigint> | undefined {
  if (contains(view.prefix, block)) return view.master.addresses.range(block);
  if (contains(block, view.prefix)) return view.range;
  return undefined;
}

/** The first address of `range` that is not the pool's reserved network address. */
export function firstHost(range: Prefix, pool: Prefix): string {
  const reserved = range.first === pool.first && pool.length < familyBits(pool.v6) - 1;
  return formatAddress(pool.v6, reserved ? range.first + 1n : range.first);
}

/** The lowest block meeting `range` that `taken` (block CIDR → holder) does not list. */
export function freeBlock(range: Prefix, blockLength: number, taken: ReadonlyMap<string, unknown>): Prefix | undefined {
  if (range.length >= blockLength) {
    const block = prefixOf(range.v6, range.first, blockLength);
    return taken.has(formatPrefix(block)) ? undefined : block;
  }
  const step = 1n << BigInt(familyBits(range.v6) - blockLength);
  // Each step skips one taken block, so this walks at most taken.size + 1 candidates.
  for (let first = range.first; first <= range.last; first += step) {
    const block = prefixOf(range.v6, first, blockLength);
    if (!taken.has(formatPrefix(block))) return block;
  }
  return undefined;
}
