// Sockets made inside a network namespace: the thread switches in, creates (and binds) them, and
// switches back, synchronously (a socket keeps the namespace it was created in). The fds are
// then handed to Node: dgram's bind({ fd }), net.Server's listen({ fd }).
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import { endianness } from 'node:os';
import { SOCK_CLOEXEC, SOL_SOCKET } from '../netlink/constants.js';
import { sys } from '../netlink/libc.js';
import { withNetns } from '../netlink/netns.js';
import { AF_INET, AF_INET6 } from '../netlink/validate.js';
import { addressBytes } from './wire.js';

const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SO_REUSEADDR = 2;

/** The fds of a DNS server's UDP socket and listening TCP socket. */
export interface ServerSockets {
  udp: number;
  tcp: number;
}

/** The UDP and TCP sockets of a DNS server, bound to `address`:`port` inside the namespace at `netns`. */
export function bindServerSockets(netns: string, address: string, port: number): ServerSockets {
  return withNetns(netns, () => bindServerSocketsHere(address, port));
}

/**
 * The same, in the namespace the calling thread is in (the namespace pool's worker makes them
 * while it prepares a spare namespace, off the main thread).
 */
export function bindServerSocketsHere(address: string, port: number): ServerSockets {
  const sockaddr = socketAddress(address, port);
  const family = isIP(address) === 6 ? AF_INET6 : AF_INET;
  const udp = sys.socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  let tcp = -1;
  try {
    sys.bind(udp, sockaddr);
    tcp = sys.socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    // A daemon restarted within TIME_WAIT of its last TCP answers binds again at once.
    sys.setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, int32(1));
    sys.bind(tcp, sockaddr);
    return { udp, tcp };
  } catch (error) {
    sys.close(udp);
    if (tcp >= 0) sys.close(tcp);
    throw error;
  }
}

/** Closes sockets nobody served (a sandbox without the embedded DNS, a spare never taken). */
export function closeServerSockets(sockets: ServerSockets): void {
  sys.close(sockets.udp);
  sys.close(sockets.tcp);
}

/** A UDP socket of `family` made in the namespace at `netns` (null: this process's own), bound by the kernel on first send. */
export function udpSocketIn(netns: string | null, family: 4 | 6): dgram.Socket {
  const fd = withNetns(netns, () => sys.socket(family === 6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  const socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
  try {
    socket.bind({ fd });
  } catch (error) {
    sys.close(fd);
    throw error;
  }
  return socket;
}

/** sockaddr_in or sockaddr_in6: the family in host byte order, port and address in network order. */
export function socketAddress(address: string, port: number): Buffer {
  const v6 = isIP(address) === 6;
  const sockaddr = Buffer.alloc(v6 ? 28 : 16);
  if (endianness() === 'LE') sockaddr.writeUInt16LE(v6 ? AF_INET6 : AF_INET, 0);
  else sockaddr.writeUInt16BE(v6 ? AF_INET6 : AF_INET, 0);
  sockaddr.writeUInt16BE(port, 2);
  if (!v6) for (const [index, octet] of address.split('.').entries()) sockaddr[4 + index] = Number(octet);
  else addressBytes(address).copy(sockaddr, 8);
  return sockaddr;
}

function int32(value: number): Buffer {
  return Buffer.from(new Int32Array([value]).buffer);
}
