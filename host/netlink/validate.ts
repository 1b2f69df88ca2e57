// Input checks done before anything reaches the kernel.
import { isIPv4, isIPv6 } from 'node:net';
import { excerpt } from '../excerpt.js';
import { InvalidInputError } from './errors.js';

export const AF_INET = 2;
export const AF_INET6 = 10;

export interface Ip {
  family: typeof AF_INET | typeof AF_INET6;
  bytes: Buffer;
  text: string;
}

export interface Cidr extends Ip {
  prefix: number;
}

/** Interface names: 1..15 bytes, no '/', no whitespace, not "." or "..". */
export function checkLinkName(name: string, what = 'link name'): string {
  const bytes = Buffer.byteLength(name);
  if (bytes === 0 || bytes > 15) throw new InvalidInputError(`${what} ${excerpt(name)} must be 1 to 15 bytes`);
  if (/[/\s:]/.test(name) || name === '.' || name === '..') {
    throw new InvalidInputError(`${what} ${excerpt(name)} contains '/', ':' or whitespace`);
  }
  return name;
}

/** Namespace file names: one path component. */
export function checkNetnsName(name: string): string {
  if (
    name.length === 0 ||
    name.length > 200 ||
    name.includes('/') ||
    name === '.' ||
    name === '..' ||
    name.includes('\0')
  ) {
    throw new InvalidInputError(`namespace name ${excerpt(name)} is not a single path component`);
  }
  return name;
}

export function parseMac(mac: string): Buffer {
  if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac))
    throw new InvalidInputError(`malformed MAC address ${excerpt(mac)}`);
  return Buffer.from(mac.replaceAll(':', ''), 'hex');
}

export function formatMac(bytes: Buffer): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join(':');
}

export function parseIp(text: string): Ip {
  if (isIPv4(text)) return { family: AF_INET, bytes: Buffer.from(text.split('.').map(Number)), text };
  if (isIPv6(text) && !text.includes('%')) return { family: AF_INET6, bytes: ipv6Bytes(text), text };
  throw new InvalidInputError(`malformed IP address ${excerpt(text)}`);
}

export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const prefixText = text.slice(slash + 1);
  if (slash < 0 || !/^\d{1,3}$/.test(prefixText)) throw new InvalidInputError(`malformed CIDR ${excerpt(text)}`);
  let ip: Ip;
  try {
    ip = parseIp(text.slice(0, slash));
  } catch {
    throw new InvalidInputError(`malformed CIDR ${excerpt(text)}`);
  }
  const prefix = Number(prefixText);
  if (prefix > (ip.family === AF_INET ? 32 : 128))
    throw new InvalidInputError(`prefix length out of range in ${excerpt(text)}`);
  return { ...ip, prefix };
}

/** `inner`'s network lies inside `outer`: the same family, at least as long a prefix, the same leading bits. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (inner.family !== outer.family || inner.prefix < outer.prefix) return false;
  const whole = Math.floor(outer.prefix / 8);
  for (let i = 0; i < whole; i++) if (inner.bytes[i] !== outer.bytes[i]) return false;
  const rest = outer.prefix % 8;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((inner.bytes[whole] as number) & mask) === ((outer.bytes[whole] as number) & mask);
}

export function formatIp(family: number, bytes: Buffer): string {
  if (family === AF_INET) return [...bytes.subarray(0, 4)].join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // Compress the longest run of zero groups, as inet_ntop does.
  let best = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLength && j - i > 1) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLength).join(':')}`;
}

function ipv6Bytes(text: string): Buffer {
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const parse = (part: string | undefined): number[] => {
    if (!part) return [];
    const out: number[] = [];
    for (const group of part.split(':')) {
      if (group.includes('.')) {
        const v4 = group.split('.').map(Number) as [number, number, number, number];
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else out.push(parseInt(group, 16));
    }
    return out;
  };
  const left = parse(head);
  const right = parse(tail);
  const groups =
    tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = Buffer.alloc(16);
  for (const [i, group] of groups.entries()) bytes.writeUInt16BE(group, i * 2);
  return bytes;
}
