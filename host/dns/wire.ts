// The DNS wire format, as far as the embedded resolver needs it: a query's header, its one
// question and its EDNS payload size; replies with A, AAAA or PTR answers, an empty answer, or
// an error code; truncation to what the client takes over UDP.
//
// Written here rather than taken from npm (dns-packet is the maintained choice): the resolver
// reads only the header and the first question of what a container sends, never the rest, and
// relays forwarded queries as bytes. dns-packet decodes every record of every section into
// objects (more work and more parser on untrusted input per query) and has no truncation.

export const TYPE = { A: 1, PTR: 12, AAAA: 28, OPT: 41 } as const;
export const CLASS_IN = 1;
export const RCODE = { noError: 0, formErr: 1, servFail: 2, nxDomain: 3, notImp: 4, refused: 5 } as const;

const HEADER = 12;
/** RFC 1035's limit for a UDP reply when the query has no EDNS. */
export const UDP_DEFAULT_SIZE = 512;
const MAX_NAME = 255;
const FLAG_QR = 0x8000;
const FLAG_TC = 0x0200;
const FLAG_RD = 0x0100;
const FLAG_RA = 0x0080;
const OPCODE_MASK = 0x7800;
/** A pointer to the question's name, which always starts right after the header. */
const POINTER_TO_QUESTION = 0xc000 | HEADER;

export interface Query {
  id: number;
  /** Recursion desired, copied into the reply. */
  rd: boolean;
  /** Lower-cased, without the trailing dot; `undefined` when a label holds a dot or a non-printable byte. */
  name: string | undefined;
  type: number;
  class: number;
  /** The question's bytes (name, type, class), echoed in replies. */
  question: Buffer;
  /** The largest UDP reply the client takes (EDNS payload size, at least 512). */
  udpSize: number;
}

/** Why a message is not a query the resolver answers: too short to reply to, or worth a FORMERR/NOTIMP. */
export type Refusal = { reply: false } | { reply: true; id: number; rcode: number };

/** Reads a query; anything else is a Refusal (never an exception: the bytes come from a container). */
export function parseQuery(message: Buffer): Query | Refusal {
  if (message.length < HEADER) return { reply: false };
  const id = message.readUInt16BE(0);
  const flags = message.readUInt16BE(2);
  if ((flags & FLAG_QR) !== 0) return { reply: false };
  if ((flags & OPCODE_MASK) !== 0) return { reply: true, id, rcode: RCODE.notImp };
  if (message.readUInt16BE(4) !== 1) return { reply: true, id, rcode: RCODE.formErr };
  const labels: string[] = [];
  let printable = true;
  let offset = HEADER;
  for (;;) {
    if (offset >= message.length) return { reply: true, id, rcode: RCODE.formErr };
    const length = message[offset] as number;
    offset += 1;
    if (length === 0) break;
    // A pointer (or a reserved label type) in a query's question: no resolver client writes one.
    if (length > 63 || offset + length > message.length || offset - HEADER + length > MAX_NAME)
      return { reply: true, id, rcode: RCODE.formErr };
    const label = message.subarray(offset, offset + length);
    if (label.some((byte) => byte <= 0x20 || byte >= 0x7f || byte === 0x2e)) printable = false;
    labels.push(label.toString('latin1').toLowerCase());
    offset += length;
  }
  if (offset + 4 > message.length) return { reply: true, id, rcode: RCODE.formErr };
  const type = message.readUInt16BE(offset);
  const klass = message.readUInt16BE(offset + 2);
  const question = message.subarray(HEADER, offset + 4);
  return {
    id,
    rd: (flags & FLAG_RD) !== 0,
    name: printable ? labels.join('.') : undefined,
    type,
    class: klass,
    question,
    udpSize: ednsSize(message, offset + 4),
  };
}

/** The payload size of an OPT record right after the question (where clients put it), else 512. */
function ednsSize(message: Buffer, offset: number): number {
  const counts = message.readUInt32BE(6); // answer and authority counts: a query has none
  if (counts !== 0 || message.readUInt16BE(10) === 0 || offset + 11 > message.length) return UDP_DEFAULT_SIZE;
  if (message[offset] !== 0 || message.readUInt16BE(offset + 1) !== TYPE.OPT) return UDP_DEFAULT_SIZE;
  return Math.max(UDP_DEFAULT_SIZE, message.readUInt16BE(offset + 3));
}

export interface Answer {
  type: typeof TYPE.A | typeof TYPE.AAAA | typeof TYPE.PTR;
  ttl: number;
  /** An IPv4 or IPv6 address, or the PTR's name. */
  data: string;
}

/**
 * A reply to `query`: its question echoed, `answers` (pointing at the question's name), recursion
 * available. Answers that do not fit in `maxSize` are dropped from the end and TC is set
 * (over TCP, maxSize is 65535 and nothing is dropped in practice).
 */
export function encodeReply(query: Query, rcode: number, answers: Answer[] = [], maxSize = 65535): Buffer {
  const records = answers.map(encodeAnswer);
  let size = HEADER + query.question.length;
  let kept = 0;
  while (kept < records.length && size + (records[kept] as Buffer).length <= maxSize) {
    size += (records[kept] as Buffer).length;
    kept++;
  }
  const reply = Buffer.allocUnsafe(size);
  reply.writeUInt16BE(query.id, 0);
  reply.writeUInt16BE(FLAG_QR | FLAG_RA | (query.rd ? FLAG_RD : 0) | (kept < records.length ? FLAG_TC : 0) | rcode, 2);
  reply.writeUInt16BE(1, 4);
  reply.writeUInt16BE(kept, 6);
  reply.writeUInt32BE(0, 8);
  query.question.copy(reply, HEADER);
  let offset = HEADER + query.question.length;
  for (const record of records.slice(0, kept)) offset += record.copy(reply, offset);
  return reply;
}

/** A bare error reply (FORMERR, NOTIMP) to a message whose question could not be read. */
export function encodeError(id: number, rcode: number): Buffer {
  const reply = Buffer.alloc(HEADER);
  reply.writeUInt16BE(id, 0);
  reply.writeUInt16BE(FLAG_QR | FLAG_RA | rcode, 2);
  return reply;
}

function encodeAnswer(answer: Answer): Buffer {
  const data = answer.type === TYPE.PTR ? encodeName(answer.data) : addressBytes(answer.data);
  const record = Buffer.allocUnsafe(12 + data.length);
  record.writeUInt16BE(POINTER_TO_QUESTION, 0);
  record.writeUInt16BE(answer.type, 2);
  record.writeUInt16BE(CLASS_IN, 4);
  record.writeUInt32BE(answer.ttl, 6);
  record.writeUInt16BE(data.length, 10);
  data.copy(record, 12);
  return record;
}

function encodeName(name: string): Buffer {
  const parts = name.split('.').filter((label) => label !== '');
  return Buffer.concat([
    ...parts.map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'latin1')])),
    Buffer.from([0]),
  ]);
}

/** The 4 or 16 bytes of an IPv4 or IPv6 address. */
export function addressBytes(ip: string): Buffer {
  if (!ip.includes(':')) return Buffer.from(ip.split('.').map(Number));
  const [head = '', tail = ''] = ip.split('::');
  const groups = (text: string): number[] =>
    text === '' ? [] : text.split(':').map((group) => Number.parseInt(group, 16));
  const front = groups(head);
  const back = groups(tail);
  const all = ip.includes('::') ? [...front, ...new Array(8 - front.length - back.length).fill(0), ...back] : front;
  const bytes = Buffer.alloc(16);
  for (const [index, group] of all.entries()) bytes.writeUInt16BE(group, index * 2);
  return bytes;
}

/** The address a PTR question's name stands for (`4.3.2.1.in-addr.arpa`, nibbles `.ip6.arpa`), if it is one. */
export function reverseAddress(name: string): string | undefined {
  if (name.endsWith('.in-addr.arpa')) {
    const octets = name.slice(0, -'.in-addr.arpa'.length).split('.');
    if (octets.length !== 4 || !octets.every((octet) => /^(0|[1-9]\d{0,2})$/.test(octet) && Number(octet) < 256))
      return undefined;
    return octets.reverse().join('.');
  }
  if (name.endsWith('.ip6.arpa')) {
    const nibbles = name.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || !nibbles.every((nibble) => /^[0-9a-f]$/.test(nibble))) return undefined;
    const hex = nibbles.reverse().join('');
    return canonicalIpv6((hex.match(/.{4}/g) as string[]).join(':'));
  }
  return undefined;
}

/** An IPv6 address in its one compressed form (RFC 5952), as the URL parser writes it. */
export function canonicalIpv6(ip: string): string {
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

/** The id of a reply (its first two bytes) and whether it is one (QR set), for matching forwarded answers. */
export function replyHeader(message: Buffer): { id: number; rcode: number } | undefined {
  if (message.length < HEADER || (message.readUInt16BE(2) & FLAG_QR) === 0) return undefined;
  return { id: message.readUInt16BE(0), rcode: message.readUInt16BE(2) & 0x000f };
}
