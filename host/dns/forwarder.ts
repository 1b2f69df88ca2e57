// Relays a query a sandbox's resolver cannot answer to the upstream resolvers, over UDP, from
// the host's namespace (never from inside a sandbox: its routes and firewall are the
// container's). One fresh socket per forward: a random source port per query, and a reply is
// taken only from the upstream asked, with the query's id and question.
import { isIP } from 'node:net';
import { udpSocketIn } from './sockets.js';
import { RCODE, replyHeader } from './wire.js';

export interface ForwarderOptions {
  /** The host's namespace (null: this process's own). */
  hostNetns: string | null;
  /** How long one upstream has to answer before the next is asked. */
  timeoutMs: number;
  /** Forwards in flight across all sandboxes: each holds a socket. */
  maxInFlight: number;
}

export const DNS_PORT = 53;

export class Forwarder {
  #inFlight = 0;
  readonly #sockets = new Set<{ close(): void }>();

  constructor(private readonly options: ForwarderOptions) {}

  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * The first usable reply of `upstreams`, asked in order; undefined when none answered in time,
   * each refused or failed (SERVFAIL, REFUSED), or too many forwards are in flight.
   */
  async forward(query: Buffer, question: Buffer, upstreams: string[]): Promise<Buffer | undefined> {
    if (this.#inFlight >= this.options.maxInFlight) return undefined;
    this.#inFlight++;
    try {
      for (const upstream of upstreams) {
        const reply = await this.#ask(upstream, query, question).catch(() => undefined);
        const rcode = reply === undefined ? undefined : replyHeader(reply)?.rcode;
        if (reply !== undefined && rcode !== RCODE.servFail && rcode !== RCODE.refused) return reply;
      }
      return undefined;
    } finally {
      this.#inFlight--;
    }
  }

  /** Stops every forward in flight (their queries get no answer). */
  close(): void {
    for (const socket of this.#sockets) socket.close();
    this.#sockets.clear();
  }

  #ask(upstream: string, query: Buffer, question: Buffer): Promise<Buffer | undefined> {
    const socket = udpSocketIn(this.options.hostNetns, isIP(upstream) === 6 ? 6 : 4);
    const id = query.readUInt16BE(0);
    return new Promise<Buffer | undefined>((resolve) => {
      const finish = (reply: Buffer | undefined): void => {
        clearTimeout(timer);
        this.#sockets.delete(handle);
        socket.close();
        resolve(reply);
      };
      const handle = { close: () => finish(undefined) };
      this.#sockets.add(handle);
      const timer = setTimeout(() => finish(undefined), this.options.timeoutMs);
      socket.on('error', () => finish(undefined));
      socket.on('message', (reply, from) => {
        if (from.address !== upstream || from.port !== DNS_PORT) return;
        if (replyHeader(reply)?.id !== id || !sameQuestion(reply, question)) return;
        finish(reply);
      });
      socket.send(query, DNS_PORT, upstream);
    });
  }
}

/** The reply's question is the query's (a resolver echoes it, byte for byte). */
function sameQuestion(reply: Buffer, question: Buffer): boolean {
  return reply.length >= 12 + question.length && reply.subarray(12, 12 + question.length).equals(question);
}
