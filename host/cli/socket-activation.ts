// systemd's socket activation (sd_listen_fds(3)): LISTEN_PID names the process the sockets are
// for, LISTEN_FDS counts them from fd 3, LISTEN_FDNAMES names them (FileDescriptorName= in the
// .socket units: "api" and "docker"). Read once; the variables are then removed from the
// environment, so that no child takes the sockets for its own.
import { fstatSync } from 'node:fs';

export const SD_LISTEN_FDS_START = 3;
/** The names the daemon serves, in the order used when LISTEN_FDNAMES is absent. */
export const SOCKET_NAMES = ['api', 'docker'] as const;
export type SocketName = (typeof SOCKET_NAMES)[number];

/** The passed sockets do not make sense: the daemon does not start. */
export class SocketActivationError extends Error {
  override name = 'SocketActivationError';
}

/** The listening sockets passed to this process, by name (empty without socket activation). */
export function listenFds(
  env: Record<string, string | undefined> = process.env,
  pid = process.pid,
): Partial<Record<SocketName, number>> {
  const { LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES } = env;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  if (LISTEN_PID === undefined || LISTEN_FDS === undefined || Number(LISTEN_PID) !== pid) return {};
  if (!/^\d+$/.test(LISTEN_FDS)) throw new SocketActivationError(`LISTEN_FDS=${LISTEN_FDS} is not a count`);
  const count = Number(LISTEN_FDS);
  const names = LISTEN_FDNAMES === undefined ? SOCKET_NAMES.slice(0, count) : LISTEN_FDNAMES.split(':');
  if (names.length !== count)
    throw new SocketActivationError(`LISTEN_FDNAMES names ${names.length} sockets, LISTEN_FDS counts ${count}`);
  const fds: Partial<Record<SocketName, number>> = {};
  for (const name of names) {
    if (!(SOCKET_NAMES as readonly string[]).includes(name))
      throw new SocketActivationError(`passed socket "${name}": the daemon serves ${SOCKET_NAMES.join(' and ')}`);
    if (fds[name as SocketName] !== undefined) throw new SocketActivationError(`socket "${name}" passed twice`);
    fds[name as SocketName] = SD_LISTEN_FDS_START + names.indexOf(name);
  }
  for (const [name, fd] of Object.entries(fds))
    if (!isSocket(fd)) throw new SocketActivationError(`passed socket "${name}" (fd ${fd}) is not an open socket`);
  return fds;
}

function isSocket(fd: number): boolean {
  try {
    return fstatSync(fd).isSocket();
  } catch {
    return false;
  }
}
