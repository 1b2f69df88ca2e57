// The daemon's unix sockets: made by the daemon (a stale file of a killed daemon removed first,
// a live daemon's socket never taken over) or passed by systemd's socket activation, which
// keeps the socket across restarts so that clients' calls wait instead of failing.
import { connect } from 'node:net';
import { chmod, lstat, mkdir, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { dirname } from 'node:path';

export interface UnixSocket {
  path: string;
  /** The file's mode (a socket the daemon makes). */
  mode: number;
  /** A listening socket passed by systemd (sd_listen_fds): served as is, never removed. */
  fd?: number;
}

/** Another process serves the socket, or something else has its path: the daemon does not start. */
export class SocketInUseError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path} ${reason}`);
    this.name = 'SocketInUseError';
  }
}

/**
 * Connections the kernel queues before they are accepted. Node's default (511) reset 310 of
 * 1 000 simultaneous clients; the kernel caps it at net.core.somaxconn (4096 by default).
 */
const LISTEN_BACKLOG = 4096;

/** Listens on the socket; the returned function stops serving (and removes a socket it made). */
export async function listenUnix(server: Server, socket: UnixSocket): Promise<() => Promise<void>> {
  const passed = socket.fd !== undefined;
  if (!passed) {
    await mkdir(dirname(socket.path), { recursive: true });
    await removeStaleSocket(socket.path);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = () => {
      server.off('error', reject);
      resolve();
    };
    if (socket.fd !== undefined) server.listen({ fd: socket.fd, backlog: LISTEN_BACKLOG }, done);
    else {
      // The socket file is made (bind, inside listen) with its mode: no moment when others may connect.
      const umask = process.umask(~socket.mode & 0o777);
      try {
        server.listen({ path: socket.path, backlog: LISTEN_BACKLOG }, done);
      } finally {
        process.umask(umask);
      }
    }
  });
  if (!passed) await chmod(socket.path, socket.mode);
  return async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    if (!passed) await rm(socket.path, { force: true });
  };
}

/** A socket file nobody listens on (a killed daemon's) is removed; a live one is refused. */
async function removeStaleSocket(path: string): Promise<void> {
  try {
    if (!(await lstat(path)).isSocket()) throw new SocketInUseError(path, 'exists and is not a socket');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (await answers(path)) throw new SocketInUseError(path, 'is served by another process (another wasmnet daemon?)');
  await rm(path, { force: true });
}

/** Whether something accepts connections on the socket (ECONNREFUSED: a stale file). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect({ path });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EAGAIN'));
  });
}
