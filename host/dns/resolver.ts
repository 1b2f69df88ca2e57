// One sandbox's embedded resolver (Docker's, at 127.0.0.11:53 over UDP and TCP inside the
// sandbox): names of the containers on the sandbox's networks are answered from the
// controller's state, every other name is forwarded upstream from the host's namespace.
import dgram from 'node:dgram';
import net from 'node:net';
import type { Forwarder } from './forwarder.js';
import { bindServerSockets, type ServerSockets } from './sockets.js';
import { RESOLVER_ADDRESS } from './address.js';
import {
  type Answer,
  CLASS_IN,
  encodeError,
  encodeReply,
  parseQuery,
  type Query,
  RCODE,
  reverseAddress,
  TYPE,
} from './wire.js';

/** The answers a sandbox's resolver gives: what the controller knows of the sandbox's networks. */
export interface NameSource {
  /**
   * The IPv4 or IPv6 addresses of `name` (lower case, no trailing dot) among the containers on the
   * sandbox's networks; undefined when none has that name, [] when one has, but no such address.
   */
  addresses(name: string, family: 4 | 6): string[] | undefined;
  /** The name of the container at `ip` on one of the sandbox's networks (for PTR). */
  nameOf(ip: string): string | undefined;
  /** False when unknown names must not leave (the sandbox reaches no outside network): SERVFAIL. */
  forwards(): boolean;
  /** The resolvers unknown names go to, asked in order. */
  upstreams(): string[];
}

export interface ResolverLimits {
  /** Forwards in flight for one sandbox; more get SERVFAIL at once. */
  maxForwards: number;
  /** TCP connections open at once. */
  maxConnections: number;
  /** A TCP connection idle this long is closed. */
  idleMs: number;
}

/** Docker's embedded DNS answers with this TTL. */
const TTL = 600;
const TCP_MAX = 65535;

type Reply = Buffer | undefined | Promise<Buffer | undefined>;

export class SandboxResolver {
  #forwards = 0;
  readonly #connections = new Set<net.Socket>();
  readonly #udp: dgram.Socket;
  readonly #tcp: net.Server;

  /**
   * Serves 127.0.0.11:53 inside the namespace at `netns`: on `sockets` bound there ahead of time
   * (the namespace pool's), else binds them now (throws when it cannot).
   */
  constructor(
    netns: string,
    private readonly source: NameSource,
    private readonly forwarder: Forwarder,
    private readonly limits: ResolverLimits,
    sockets?: ServerSockets,
  ) {
    const fds = sockets ?? bindServerSockets(netns, RESOLVER_ADDRESS, 53);
    this.#udp = dgram.createSocket('udp4');
    this.#udp.on('error', () => undefined);
    this.#udp.on('message', (message, from) => this.#serveUdp(message, from));
    this.#udp.bind({ fd: fds.udp });
    this.#tcp = net.createServer((connection) => this.#serveTcp(connection));
    this.#tcp.maxConnections = limits.maxConnections;
    this.#tcp.on('error', () => undefined);
    this.#tcp.listen({ fd: fds.tcp });
  }

  close(): void {
    this.#udp.close();
    this.#tcp.close();
    for (const connection of this.#connections) connection.destroy();
  }

  /** The reply to one message (UDP: at most what the client takes), or undefined to stay silent. */
  answer(message: Buffer, overTcp: boolean): Reply {
    const query = parseQuery(message);
    if (!('question' in query)) return query.reply ? encodeError(query.id, query.rcode) : undefined;
    const local = this.#local(query);
    if (local !== undefined) return encodeReply(query, RCODE.noError, local, overTcp ? TCP_MAX : query.udpSize);
    if (!this.source.forwards() || this.#forwards >= this.limits.maxForwards) return encodeReply(query, RCODE.servFail);
    this.#forwards++;
    return this.forwarder
      .forward(message, query.question, this.source.upstreams())
      .then((reply) => reply ?? encodeReply(query, RCODE.servFail))
      .finally(() => this.#forwards--);
  }

  /** Answers from the sandbox's networks, or undefined when the name is not one of theirs. */
  #local(query: Query): Answer[] | undefined {
    if (query.name === undefined || query.class !== CLASS_IN) return undefined;
    if (query.type === TYPE.PTR) {
      const ip = reverseAddress(query.name);
      const name = ip === undefined ? undefined : this.source.nameOf(ip);
      return name === undefined ? undefined : [{ type: TYPE.PTR, ttl: TTL, data: name }];
    }
    const family = query.type === TYPE.A ? 4 : query.type === TYPE.AAAA ? 6 : undefined;
    const addresses = this.source.addresses(query.name, family ?? 4);
    if (addresses === undefined) return undefined;
    // A known name asked for another type (MX, TXT...): an empty answer, never a forward of a local name.
    if (family === undefined) return [];
    return addresses.map((data) => ({ type: family === 4 ? TYPE.A : TYPE.AAAA, ttl: TTL, data }));
  }

  #serveUdp(message: Buffer, from: dgram.RemoteInfo): void {
    const send = (reply: Buffer | undefined): void => {
      if (reply !== undefined) this.#udp.send(reply, from.port, from.address, () => undefined);
    };
    const reply = this.answer(message, false);
    if (reply instanceof Promise) reply.then(send, () => undefined);
    else send(reply);
  }

  /** RFC 1035 framing: each message after its length in two bytes; answers may come out of order. */
  #serveTcp(connection: net.Socket): void {
    this.#connections.add(connection);
    connection.setTimeout(this.limits.idleMs, () => connection.destroy());
    connection.on('close', () => this.#connections.delete(connection));
    connection.on('error', () => undefined);
    let pending: Buffer = Buffer.alloc(0);
    const send = (reply: Buffer | undefined): void => {
      if (reply === undefined || connection.destroyed) return;
      const length = Buffer.allocUnsafe(2);
      length.writeUInt16BE(reply.length, 0);
      connection.write(Buffer.concat([length, reply]));
    };
    connection.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (pending.length < 2 + length) break;
        const reply = this.answer(pending.subarray(2, 2 + length), true);
        pending = pending.subarray(2 + length);
        if (reply instanceof Promise) reply.then(send, () => undefined);
        else send(reply);
      }
    });
  }
}
