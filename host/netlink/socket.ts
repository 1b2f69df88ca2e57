// A synchronous rtnetlink socket. It acts in the namespace of the thread that created it;
// netns.ts creates it inside the right namespace. The kernel answers inside send(), so a
// blocking recv (with a timeout as a guard) never waits in practice.
import {
  AF_NETLINK,
  NETLINK_CAP_ACK,
  NETLINK_EXT_ACK,
  NETLINK_ROUTE,
  NLM_F_ACK,
  NLM_F_ACK_TLVS,
  NLM_F_DUMP,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSGERR_ATTR_MSG,
  SO_RCVBUFFORCE,
  SO_RCVTIMEO,
  SO_SNDBUFFORCE,
  SOCK_CLOEXEC,
  SOCK_RAW,
  SOL_NETLINK,
  SOL_SOCKET,
} from './constants.js';
import { attrString, parseAttrs } from './codec.js';
import { NetlinkError } from './errors.js';
import { SyscallError, sys } from './libc.js';

export interface Request {
  type: number;
  /** NLM_F_* beyond REQUEST; ACK is added to every non-dump request. */
  flags: number;
  payload: Buffer;
  /** For error messages: what this request asks for. */
  what: string;
}

export interface Reply {
  type: number;
  flags: number;
  payload: Buffer;
}

export type Outcome = { ok: true; replies: Reply[] } | { ok: false; error: NetlinkError };

// Enough ACKs fit in the receive buffer (each costs ~1 KB of skb truesize) for this many.
const MAX_PER_SEND = 128;
const RECV_BUFFER = Buffer.alloc(256 * 1024);
const EINTR = 4;
const ETIMEDOUT = 110;
const EMSGSIZE = 90;

function intOption(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32LE(value);
  return buffer;
}

export class NetlinkSocket {
  private seq = 1;
  private closed = false;

  private constructor(
    readonly fd: number,
    readonly netns: string,
  ) {}

  /** Opens a socket in the calling thread's current network namespace. */
  static open(netns: string): NetlinkSocket {
    const fd = sys.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    try {
      sys.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, intOption(1));
      sys.setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, intOption(1));
      sys.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, intOption(4 << 20));
      sys.setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, intOption(1 << 20));
      const timeout = Buffer.alloc(16);
      timeout.writeBigInt64LE(5n, 0);
      sys.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeout);
    } catch (error) {
      sys.close(fd);
      throw error;
    }
    return new NetlinkSocket(fd, netns);
  }

  /** Takes over a socket opened (by unshareNetns, maybe on another thread) in namespace `netns`. */
  static adopt(fd: number, netns: string): NetlinkSocket {
    return new NetlinkSocket(fd, netns);
  }

  /** Runs requests in as few sends as possible; every ACK is checked. Not atomic. */
  transact(requests: readonly Request[]): Outcome[] {
    if (this.closed) throw new NetlinkError(9, requests[0]?.what ?? 'request', this.netns, 'socket closed');
    const outcomes: Outcome[] = [];
    for (let start = 0; start < requests.length; start += MAX_PER_SEND) {
      outcomes.push(...this.sendChunk(requests.slice(start, start + MAX_PER_SEND)));
    }
    return outcomes;
  }

  /** Like transact, but throws the first failure. */
  run(requests: readonly Request[]): Reply[][] {
    return this.transact(requests).map((outcome) => {
      if (!outcome.ok) throw outcome.error;
      return outcome.replies;
    });
  }

  one(request: Request): Reply[] {
    return this.run([request])[0] as Reply[];
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    sys.close(this.fd);
  }

  private sendChunk(requests: readonly Request[]): Outcome[] {
    const first = this.seq;
    this.seq = (this.seq + requests.length) >>> 0 || 1;
    let total = 0;
    for (const request of requests) total += 16 + ((request.payload.length + 3) & ~3);
    const out = Buffer.alloc(total);
    let at = 0;
    requests.forEach((request, i) => {
      const length = 16 + request.payload.length;
      const dump = (request.flags & NLM_F_DUMP) === NLM_F_DUMP;
      out.writeUInt32LE(length, at);
      out.writeUInt16LE(request.type, at + 4);
      out.writeUInt16LE(request.flags | NLM_F_REQUEST | (dump ? 0 : NLM_F_ACK), at + 6);
      out.writeUInt32LE((first + i) >>> 0, at + 8);
      request.payload.copy(out, at + 16);
      at += (length + 3) & ~3;
    });
    try {
      sys.send(this.fd, out, total);
    } catch (error) {
      throw this.syscallError(error, requests[0]?.what ?? 'send');
    }
    const replies: Reply[][] = requests.map(() => []);
    const outcomes: (Outcome | undefined)[] = requests.map(() => undefined);
    let pending = requests.length;
    while (pending > 0) {
      let received: number;
      try {
        received = sys.recv(this.fd, RECV_BUFFER, 0x20 /* MSG_TRUNC: report the real length */);
      } catch (error) {
        if (error instanceof SyscallError && error.errno === EINTR) continue;
        throw this.syscallError(error, requests[0]?.what ?? 'recv');
      }
      if (received > RECV_BUFFER.length)
        throw new NetlinkError(EMSGSIZE, 'recv', this.netns, 'reply larger than the buffer');
      for (let offset = 0; offset + 16 <= received; ) {
        const length = RECV_BUFFER.readUInt32LE(offset);
        if (length < 16 || offset + length > received) break;
        const type = RECV_BUFFER.readUInt16LE(offset + 4);
        const flags = RECV_BUFFER.readUInt16LE(offset + 6);
        const index = (RECV_BUFFER.readUInt32LE(offset + 8) - first) >>> 0;
        const payload = RECV_BUFFER.subarray(offset + 16, offset + length);
        offset += (length + 3) & ~3;
        const request = requests[index];
        if (request === undefined || outcomes[index] !== undefined) continue; // a stale reply
        if (type === NLMSG_ERROR || type === NLMSG_DONE) {
          const errno = payload.length >= 4 ? -payload.readInt32LE(0) : 0;
          outcomes[index] =
            errno === 0
              ? { ok: true, replies: replies[index] as Reply[] }
              : {
                  ok: false,
                  error: new NetlinkError(
                    errno,
                    request.what,
                    this.netns,
                    type === NLMSG_ERROR ? extAck(payload, flags) : undefined,
                  ),
                };
          pending--;
        } else {
          (replies[index] as Reply[]).push({ type, flags, payload: Buffer.from(payload) });
        }
      }
    }
    return outcomes as Outcome[];
  }

  private syscallError(error: unknown, what: string): NetlinkError {
    if (!(error instanceof SyscallError)) throw error;
    const errno = error.errno === 11 ? ETIMEDOUT : error.errno;
    return new NetlinkError(errno, what, this.netns, `${error.call} failed`);
  }
}

// The kernel's message in an error ACK (NETLINK_EXT_ACK); the request is capped (NETLINK_CAP_ACK).
function extAck(payload: Buffer, flags: number): string | undefined {
  if ((flags & NLM_F_ACK_TLVS) === 0 || payload.length < 20) return undefined;
  return attrString(parseAttrs(payload, 20).get(NLMSGERR_ATTR_MSG));
}
