// Just enough address arithmetic for the controller's own checks (IPAM does the rest).
import { excerpt } from '../excerpt.js';
import { isIP } from 'node:net';
import { InvalidParameterError } from './errors.js';

function toBigInt(ip: string): { value: bigint; bits: number } {
  if (isIP(ip) === 4) return { value: ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(part), 0n), bits: 32 };
  if (isIP(ip) !== 6) throw new InvalidParameterError(`invalid IP address ${excerpt(ip)}`);
  const [head = '', tail] = ip.split('::');
  const words = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const left = words(head);
  const right = tail === undefined ? [] : words(tail);
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return { value: groups.reduce((acc, group) => (acc << 16n) | BigInt(`0x${group}`), 0n), bits: 128 };
}

export function parseCidr(cidr: string): { ip: string; prefix: number; v6: boolean } {
  const [ip = '', prefixText] = cidr.split('/');
  const family = isIP(ip);
  const prefix = Number(prefixText);
  if (
    family === 0 ||
    prefixText === undefined ||
    !Number.isInteger(prefix) ||
    prefix < 0 ||
    prefix > (family === 4 ? 32 : 128)
  ) {
    throw new InvalidParameterError(`invalid CIDR ${excerpt(cidr)}`);
  }
  return { ip, prefix, v6: family === 6 };
}

/** Whether `ip` lies inside `cidr`. */
export function contains(cidr: string, ip: string): boolean {
  const net = parseCidr(cidr);
  if (net.v6 !== (isIP(ip) === 6)) return false;
  const a = toBigInt(net.ip);
  const b = toBigInt(ip);
  const shift = BigInt(a.bits - net.prefix);
  return a.value >> shift === b.value >> shift;
}

/** "10.0.0.2/24" → "10.0.0.2". */
export function ipOf(cidr: string): string {
  return parseCidr(cidr).ip;
}

/** `ip` with the mask of `pool`: "10.0.0.5" in "10.0.0.0/24" → "10.0.0.5/24". */
export function withMaskOf(ip: string, pool: string): string {
  return `${ip}/${parseCidr(pool).prefix}`;
}

export function hostCidr(ip: string): string {
  return `${ip}/${isIP(ip) === 6 ? 128 : 32}`;
}
