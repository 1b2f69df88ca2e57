// A synchronous nfnetlink socket for nftables: a batch (BEGIN, messages, END) commits atomically
// and answers every message that asked for an ACK inside send(); a dump answers a GET request.
// It acts in the namespace it was opened in (Netns.run). No maintained npm package speaks
// nftables netlink (checked: none is kept up to date), hence this encoder, in host/netlink's style.
import { parseAttrs } from '../netlink/codec.js';
import {
  AF_NETLINK,
  NLM_F_ACK,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  SO_RCVTIMEO,
  SOCK_CLOEXEC,
  SOCK_RAW,
  SOL_SOCKET,
} from '../netlink/constants.js';
import { NetlinkError } from '../netlink/errors.js';
import { SyscallError, sys } from '../netlink/libc.js';
import type { Netns } from '../netlink/netns.js';
import { type NftMessage, nfgenmsg } from './codec.js';
import { NETLINK_NETFILTER, NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END, NFNL_SUBSYS_NFTABLES } from './constants.js';

const EINTR = 4;
const RECV_BUFFER = Buffer.alloc(256 * 1024);

/** One message of a dump: its nfgenmsg family and its attributes. */
export interface Dumped {
  family: number;
  attrs: Map<number, Buffer>;
}

export class NftSocket {
  #seq = 1;

  private constructor(
    readonly fd: number,
    readonly label: string,
  ) {}

  static open(netns: Netns): NftSocket {
    const fd = netns.run(() => sys.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
    const timeout = Buffer.alloc(16);
    timeout.writeBigInt64LE(5n, 0);
    try {
      sys.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeout);
    } catch (error) {
      sys.close(fd);
      throw error;
    }
    return new NftSocket(fd, netns.label);
  }

  /** Runs the messages as one transaction: all of them or none. */
  batch(messages: readonly NftMessage[]): void {
    if (messages.length === 0) return;
    const first = this.#seq;
    this.#seq += messages.length + 2;
    const control = (type: number, seq: number): NftMessage & { seq: number } => ({
      type,
      flags: 0,
      payload: nfgenmsg(0, NFNL_SUBSYS_NFTABLES),
      what: 'batch',
      seq,
    });
    const framed = [
      control(NFNL_MSG_BATCH_BEGIN, first),
      ...messages.map((message, i) => ({ ...message, flags: message.flags | NLM_F_ACK, seq: first + 1 + i })),
      control(NFNL_MSG_BATCH_END, first + messages.length + 1),
    ];
    this.#send(framed);
    let pending = messages.length;
    let failure: NetlinkError | undefined;
    while (pending > 0) {
      for (const reply of this.#receive()) {
        if (reply.type !== NLMSG_ERROR) continue;
        const errno = -reply.payload.readInt32LE(0);
        const index = reply.seq - first - 1;
        const message = messages[index];
        // The BEGIN refused: nothing else will be answered.
        if (index < 0 || message === undefined) throw new NetlinkError(errno, 'nftables batch', this.label);
        pending--;
        if (errno !== 0) failure ??= new NetlinkError(errno, message.what, this.label);
      }
    }
    if (failure !== undefined) throw failure;
  }

  /** The messages a GET dump answers. */
  dump(request: NftMessage): Dumped[] {
    const seq = this.#seq++;
    this.#send([{ ...request, seq }]);
    const out: Dumped[] = [];
    for (;;) {
      for (const reply of this.#receive()) {
        if (reply.seq !== seq) continue;
        if (reply.type === NLMSG_DONE) return out;
        if (reply.type === NLMSG_ERROR) {
          const errno = -reply.payload.readInt32LE(0);
          if (errno === 0) return out;
          throw new NetlinkError(errno, request.what, this.label);
        }
        out.push({ family: reply.payload.readUInt8(0), attrs: parseAttrs(reply.payload, 4) });
      }
    }
  }

  close(): void {
    sys.close(this.fd);
  }

  #send(messages: ReadonlyArray<NftMessage & { seq: number }>): void {
    let total = 0;
    for (const message of messages) total += 16 + ((message.payload.length + 3) & ~3);
    const out = Buffer.alloc(total);
    let at = 0;
    for (const message of messages) {
      out.writeUInt32LE(16 + message.payload.length, at);
      out.writeUInt16LE(message.type, at + 4);
      out.writeUInt16LE(message.flags | NLM_F_REQUEST, at + 6);
      out.writeUInt32LE(message.seq >>> 0, at + 8);
      message.payload.copy(out, at + 16);
      at += (16 + message.payload.length + 3) & ~3;
    }
    try {
      sys.send(this.fd, out, total);
    } catch (error) {
      throw this.#error(error, messages[0]?.what ?? 'send');
    }
  }

  #receive(): Array<{ type: number; seq: number; payload: Buffer }> {
    let received: number;
    for (;;) {
      try {
        received = sys.recv(this.fd, RECV_BUFFER, 0);
        break;
      } catch (error) {
        if (!(error instanceof SyscallError && error.errno === EINTR)) throw this.#error(error, 'recv');
      }
    }
    const replies: Array<{ type: number; seq: number; payload: Buffer }> = [];
    for (let offset = 0; offset + 16 <= received; ) {
      const length = RECV_BUFFER.readUInt32LE(offset);
      if (length < 16 || offset + length > received) break;
      replies.push({
        type: RECV_BUFFER.readUInt16LE(offset + 4),
        seq: RECV_BUFFER.readUInt32LE(offset + 8),
        payload: Buffer.from(RECV_BUFFER.subarray(offset + 16, offset + length)),
      });
      offset += (length + 3) & ~3;
    }
    return replies;
  }

  #error(error: unknown, what: string): NetlinkError {
    if (!(error instanceof SyscallError)) throw error;
    return new NetlinkError(error.errno === 11 ? 110 : error.errno, what, this.label, `${error.call} failed`);
  }
}
