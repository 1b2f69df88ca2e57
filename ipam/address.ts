// IP address text <-> value. IPv4 values are plain numbers (0 .. 2^32-1, the hot path of the
// allocator); IPv6 values are bigints. Parsing is strict (no leading zeros in IPv4 octets, no
// zones) and returns undefined on malformed input instead of throwing.

/** Parses dotted-quad text, ignoring a trailing "/len" suffix. */
export function parseV4(text: string): number | undefined {
  const slash = text.indexOf('/');
  const end = slash < 0 ? text.length : slash;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return undefined; // leading zero
      octet = octet * 10 + (c - 48);
      if (octet > 255) return undefined;
      digits++;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + octet;
}

export function formatV4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** Parses IPv6 text (with "::" and an optional dotted IPv4 tail), ignoring a "/len" suffix. */
export function parseV6(text: string): bigint | undefined {
  const slash = text.indexOf('/');
  const body = slash < 0 ? text : text.slice(0, slash);
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  if (head === undefined || tail === undefined) return undefined;
  const count = head.length + tail.length;
  if (halves.length === 2 ? count > 7 : count !== 8) return undefined;
  const all = [...head, ...new Array<number>(8 - count).fill(0), ...tail];
  let value = 0n;
  for (const group of all) value = (value << 16n) | BigInt(group);
  return value;
}

/** The 16-bit groups of one side of "::"; a dotted IPv4 tail counts as two groups. */
function groups(part: string): number[] | undefined {
  if (part === '') return [];
  const fields = part.split(':');
  const out: number[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as string;
    if (i === fields.length - 1 && field.includes('.')) {
      const v4 = parseV4(field);
      if (v4 === undefined) return undefined;
      out.push(v4 >>> 16, v4 & 0xffff);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(field)) return undefined;
      out.push(Number.parseInt(field, 16));
    }
  }
  return out;
}

/** RFC 5952 text: lower case, the longest run (first on a tie) of two or more zero groups as "::". */
export function formatV6(value: bigint): string {
  const parts: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) parts.push(Number((value >> shift) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (parts[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && parts[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]): string => list.map((part) => part.toString(16)).join(':');
  if (bestStart < 0) return hex(parts);
  return `${hex(parts.slice(0, bestStart))}::${hex(parts.slice(bestStart + bestLength))}`;
}
