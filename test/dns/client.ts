// A DNS client and a stub upstream resolver for tests and bench/dns, each with its socket made
// inside a namespace of the test's (through host/dns's scoped socket helpers).
import { closeSync } from 'node:fs';
import dgram from 'node:dgram';
import { bindServerSockets, udpSocketIn } from '../../host/dns/index.js';
import { encodeReply, parseQuery, RCODE, TYPE } from '../../host/dns/wire.js';

export { TYPE };

let nextId = 1;

/** A query for `name` of `type`, recursion desired. */
export function encodeQuery(name: string, type: number, id = nextId++ & 0xffff): Buffer {
  const labels = name.split('.').filter((label) => label !== '');
  const question = Buffer.concat([
    ...labels.map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'latin1')])),
    Buffer.from([0, type >> 8, type & 0xff, 0, 1]),
  ]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  return Buffer.concat([header, question]);
}

export interface Reply {
  id: number;
  rcode: number;
  truncated: boolean;
  /** A and AAAA answers as addresses, PTR answers as names. */
  answers: string[];
}

/** Reads a reply whose answers point at its question's name (as the embedded DNS and the stub write them). */
export function decodeReply(message: Buffer): Reply {
  const flags = message.readUInt16BE(2);
  const count = message.readUInt16BE(6);
  let offset = 12;
  while (message[offset] !== 0) offset += (message[offset] as number) + 1;
  offset += 5;
  const answers: string[] = [];
  for (let index = 0; index < count; index++) {
    const type = message.readUInt16BE(offset + 2);
    const length = message.readUInt16BE(offset + 10);
    const data = message.subarray(offset + 12, offset + 12 + length);
    if (type === TYPE.A) answers.push([...data].join('.'));
    else if (type === TYPE.AAAA) answers.push((data.toString('hex').match(/.{4}/g) ?? []).join(':'));
    else answers.push(readName(data));
    offset += 12 + length;
  }
  return { id: message.readUInt16BE(0), rcode: flags & 0xf, truncated: (flags & 0x0200) !== 0, answers };
}

function readName(data: Buffer): string {
  const labels: string[] = [];
  for (let offset = 0; data[offset] !== 0 && offset < data.length; offset += (data[offset] as number) + 1)
    labels.push(data.subarray(offset + 1, offset + 1 + (data[offset] as number)).toString('latin1'));
  return labels.join('.');
}

/** A UDP client inside the namespace at `netns` that asks 127.0.0.11:53. */
export class DnsClient {
  readonly socket: dgram.Socket;
  readonly #waiting = new Map<number, (reply: Buffer) => void>();
  #closed = false;

  constructor(netns: string) {
    this.socket = udpSocketIn(netns, 4);
    this.socket.on('message', (message) => {
      if (message.length < 2) return;
      const id = message.readUInt16BE(0);
      this.#waiting.get(id)?.(message);
      this.#waiting.delete(id);
    });
  }

  /** Sends raw bytes to the resolver (no reply awaited). */
  send(bytes: Buffer): void {
    this.socket.send(bytes, 53, '127.0.0.11');
  }

  /** Asks and resolves with the reply, or undefined after `timeoutMs`. */
  ask(name: string, type: number = TYPE.A, timeoutMs = 3000): Promise<Reply | undefined> {
    const query = encodeQuery(name, type);
    const id = query.readUInt16BE(0);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        resolve(undefined);
      }, timeoutMs);
      this.#waiting.set(id, (reply) => {
        clearTimeout(timer);
        resolve(decodeReply(reply));
      });
      this.send(query);
    });
  }

  close(): void {
    if (!this.#closed) this.socket.close();
    this.#closed = true;
  }
}

/**
 * A stub upstream resolver on `address`:53 in the namespace at `netns` (lo must be up there): it
 * answers A queries from `records` and NXDOMAIN otherwise, and counts what it was asked.
 */
export class StubUpstream {
  readonly asked: string[] = [];
  readonly #socket: dgram.Socket;

  constructor(netns: string, address: string, records: Record<string, string>) {
    const fds = bindServerSockets(netns, address, 53);
    closeSync(fds.tcp);
    this.#socket = dgram.createSocket('udp4');
    this.#socket.bind({ fd: fds.udp });
    this.#socket.on('message', (message, from) => {
      const query = parseQuery(message);
      if (!('question' in query)) return;
      this.asked.push(query.name ?? '');
      const ip = query.name === undefined ? undefined : records[query.name];
      const reply =
        ip === undefined
          ? encodeReply(query, RCODE.nxDomain)
          : encodeReply(query, RCODE.noError, [{ type: TYPE.A, ttl: 60, data: ip }]);
      this.#socket.send(reply, from.port, from.address);
    });
  }

  close(): void {
    this.#socket.close();
  }
}
