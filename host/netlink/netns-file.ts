// Opening a network namespace by a path that may come from a client: only a network namespace
// file (nsfs) is accepted, and nothing on the way blocks. open() blocks on a FIFO until a writer
// comes, and may act on a device, so the path's type is checked first (stat never opens), and
// the open is non-blocking in case the path is swapped in between.
import { closeSync, constants, fstatSync, openSync, statSync, type Stats } from 'node:fs';
import { InvalidInputError, NetlinkError } from './errors.js';
import { CLONE_NEWNET, SyscallError, sys } from './libc.js';

/** statfs's f_type of the namespace file system. */
const NSFS_MAGIC = 0x6e736673;
/** ioctl(NS_GET_NSTYPE): the CLONE_NEW* type of a namespace file. */
const NS_GET_NSTYPE = 0xb703;

/** A namespace's identity: its file system device and inode, the same through every path to it. */
export function netnsIdentity(stats: Pick<Stats, 'dev' | 'ino'>): string {
  return `${stats.dev}:${stats.ino}`;
}

/**
 * The identity of the network namespace at `path`, or undefined when nothing is there; refuses
 * what is not a network namespace file, as openNetnsFile does.
 */
export function netnsIdentityOf(path: string): string | undefined {
  let fd: number;
  try {
    fd = openNetnsFile(path);
  } catch (error) {
    if (error instanceof NetlinkError && error.errnoName === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return netnsIdentity(fstatSync(fd));
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens the network namespace file at `path` (read-only, non-blocking) and returns its fd.
 * Refuses (InvalidInputError) anything else: a FIFO, a socket, a device, a directory, a plain
 * file, another kind of namespace. A missing file is a NetlinkError (ENOENT).
 */
export function openNetnsFile(path: string): number {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (error) {
    throw new NetlinkError(-((error as NodeJS.ErrnoException).errno ?? -5), 'open namespace', path);
  }
  if (!stats.isFile()) throw notNetns(path, describe(stats));
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    throw new NetlinkError(-((error as NodeJS.ErrnoException).errno ?? -5), 'open namespace', path);
  }
  try {
    if (!fstatSync(fd).isFile() || sys.fsType(fd) !== NSFS_MAGIC) throw notNetns(path, 'not on nsfs');
    let type: number;
    try {
      type = sys.ioctl(fd, NS_GET_NSTYPE);
    } catch (error) {
      if (error instanceof SyscallError) throw notNetns(path, 'no namespace type');
      throw error;
    }
    if (type !== CLONE_NEWNET) throw notNetns(path, 'another kind of namespace');
    return fd;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

function notNetns(path: string, why: string): InvalidInputError {
  return new InvalidInputError(`${path} is not a network namespace file (${why})`);
}

function describe(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'not a regular file';
}
