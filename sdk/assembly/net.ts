// Helpers driver authors need: IPv4/IPv6 addresses and CIDRs, libnetwork's MAC from IP,
// and typed reads of the string options the host passes.
import { Options } from './generated/bindings';

/** An IPv4 address as a u32 (host order), or -1 when `text` is not one. */
export function parseIPv4(text: string): i64 {
  const parts = text.split('.');
  if (parts.length != 4) return -1;
  let value: u32 = 0;
  for (let i = 0; i < 4; i++) {
    const part = parts[i];
    if (part.length == 0 || part.length > 3) return -1;
    let octet: u32 = 0;
    for (let j = 0; j < part.length; j++) {
      const c = part.charCodeAt(j);
      if (c < 48 || c > 57) return -1;
      octet = octet * 10 + <u32>(c - 48);
    }
    if (octet > 255) return -1;
    value = (value << 8) | octet;
  }
  return <i64>value;
}

export function formatIPv4(value: u32): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** An IPv6 address as 8 groups, or null when `text` is not one ("::" shorthand allowed). */
export function parseIPv6(text: string): StaticArray<u16> | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0].length > 0 ? halves[0].split(':') : new Array<string>(0);
  const tail = halves.length == 2 && halves[1].length > 0 ? halves[1].split(':') : new Array<string>(0);
  const missing = 8 - head.length - tail.length;
  if (halves.length == 1 ? missing != 0 : missing < 1) return null;
  const groups = new StaticArray<u16>(8);
  for (let i = 0; i < head.length; i++) {
    const g = parseHexGroup(head[i]);
    if (g < 0) return null;
    groups[i] = <u16>g;
  }
  for (let i = 0; i < tail.length; i++) {
    const g = parseHexGroup(tail[i]);
    if (g < 0) return null;
    groups[8 - tail.length + i] = <u16>g;
  }
  return groups;
}

function parseHexGroup(text: string): i32 {
  if (text.length == 0 || text.length > 4) return -1;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) | 0x20;
    const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

/** The shortest text form of an IPv6 address (RFC 5952: longest zero run as "::"). */
export function formatIPv6(groups: StaticArray<u16>): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] != 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] == 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i == bestStart) {
      out += '::';
      i += bestLength - 1;
      continue;
    }
    if (out.length > 0 && !out.endsWith(':')) out += ':';
    out += groups[i].toString(16);
  }
  return out;
}

/** A CIDR split into its address and prefix length. */
export class Cidr {
  constructor(
    public address: string,
    public prefix: i32,
  ) {}
  toString(): string {
    return `${this.address}/${this.prefix}`;
  }
}

/** The address of a CIDR: "172.18.0.1/16" -> "172.18.0.1" (text without a prefix is returned as is). */
export function ipOf(cidr: string): string {
  const slash = cidr.indexOf('/');
  return slash < 0 ? cidr : cidr.substring(0, slash);
}

/** Parses "10.0.0.1/24" or "fd00::1/64"; null when malformed. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const address = text.substring(0, slash);
  const prefixText = text.substring(slash + 1);
  if (prefixText.length == 0 || prefixText.length > 3) return null;
  let prefix = 0;
  for (let i = 0; i < prefixText.length; i++) {
    const c = prefixText.charCodeAt(i);
    if (c < 48 || c > 57) return null;
    prefix = prefix * 10 + c - 48;
  }
  const v4 = parseIPv4(address) >= 0;
  if (!v4 && parseIPv6(address) === null) return null;
  if (prefix > (v4 ? 32 : 128)) return null;
  return new Cidr(address, prefix);
}

function hexByte(value: u32): string {
  const s = (value & 255).toString(16);
  return s.length == 1 ? `0${s}` : s;
}

/** libnetwork's netutils.GenerateMACFromIP: 02:42 followed by the IPv4 address. */
export function macFromIPv4(ip: string): string | null {
  const value = parseIPv4(ip);
  if (value < 0) return null;
  const v = <u32>value;
  return `02:42:${hexByte(v >>> 24)}:${hexByte(v >>> 16)}:${hexByte(v >>> 8)}:${hexByte(v)}`;
}

/** The value of `key` in the options, or null. */
export function optionString(options: Options, key: string): string | null {
  for (let i = 0; i < options.length; i++) if (options[i].f0 == key) return options[i].f1;
  return null;
}

/** A boolean option ("true"/"1"/"yes"), or `fallback` when absent. */
export function optionBool(options: Options, key: string, fallback: bool): bool {
  const value = optionString(options, key);
  if (value === null) return fallback;
  return value == 'true' || value == '1' || value == 'yes';
}

/** An unsigned integer option, or `fallback` when absent or not a number. */
export function optionU32(options: Options, key: string, fallback: u32): u32 {
  const value = optionString(options, key);
  if (value === null || value.length == 0 || value.length > 10) return fallback;
  let out: u64 = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return fallback;
    out = out * 10 + <u64>(c - 48);
  }
  return out > <u64>u32.MAX_VALUE ? fallback : <u32>out;
}
