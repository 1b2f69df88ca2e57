// CIDR prefixes and the arithmetic on them. Both families are held as bigint ranges here: this
// is pool-level math (requestPool), not the per-address hot path.
import { formatV4, formatV6, parseV4, parseV6 } from './address.js';

export interface Prefix {
  readonly v6: boolean;
  /** Prefix length. */
  readonly length: number;
  /** Network address. */
  readonly first: bigint;
  /** Last address (the IPv4 broadcast address). */
  readonly last: bigint;
}

export function familyBits(v6: boolean): number {
  return v6 ? 128 : 32;
}

/** Parses "addr/len"; host bits are masked off. Undefined when malformed. */
export function parsePrefix(text: string): Prefix | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const lengthText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lengthText)) return undefined;
  const length = Number(lengthText);
  const v6 = text.includes(':');
  if (length > familyBits(v6)) return undefined;
  const address = v6 ? parseV6(text) : parseV4(text);
  if (address === undefined) return undefined;
  return prefixOf(v6, BigInt(address), length);
}

/** The prefix of the given length that holds `address`. */
export function prefixOf(v6: boolean, address: bigint, length: number): Prefix {
  const hostBits = BigInt(familyBits(v6) - length);
  const first = (address >> hostBits) << hostBits;
  return { v6, length, first, last: first + (1n << hostBits) - 1n };
}

export function formatAddress(v6: boolean, value: bigint): string {
  return v6 ? formatV6(value) : formatV4(Number(value));
}

export function formatPrefix(prefix: Prefix): string {
  return `${formatAddress(prefix.v6, prefix.first)}/${prefix.length}`;
}

export function overlaps(a: Prefix, b: Prefix): boolean {
  return a.v6 === b.v6 && a.first <= b.last && b.first <= a.last;
}

export function contains(outer: Prefix, inner: Prefix): boolean {
  return outer.v6 === inner.v6 && outer.first <= inner.first && inner.last <= outer.last;
}
