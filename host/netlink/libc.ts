// The few libc calls the plumbing needs, through koffi (prebuilt, no compiler needed).
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');

const socketFn = libc.func('int socket(int, int, int)');
const setsockoptFn = libc.func('int setsockopt(int, int, int, const void *, uint32_t)');
const getsockoptFn = libc.func('int getsockopt(int, int, int, _Inout_ uint8_t *, _Inout_ uint32_t *)');
const sendFn = libc.func('long send(int, const void *, size_t, int)');
const recvFn = libc.func('long recv(int, void *, size_t, int)');
const closeFn = libc.func('int close(int)');
const bindFn = libc.func('int bind(int, const void *, uint32_t)');
const setnsFn = libc.func('int setns(int, int)');
const unshareFn = libc.func('int unshare(int)');
const mountFn = libc.func('int mount(const char *, const char *, const char *, unsigned long, const void *)');
const umount2Fn = libc.func('int umount2(const char *, int)');
const fstatfsFn = libc.func('int fstatfs(int, _Out_ uint8_t *buf)');
const ioctlFn = libc.func('int ioctl(int, unsigned long)');
const flockFn = libc.func('int flock(int, int)');
const mallocTrimFn = libc.func('int malloc_trim(size_t)');

/** A failed system call: `errno` is the raw number, named later by errors.ts. */
export class SyscallError extends Error {
  constructor(
    readonly call: string,
    readonly errno: number,
  ) {
    super(`${call} failed with errno ${errno}`);
  }
}

function check(call: string, result: number | bigint): number {
  const value = Number(result);
  if (value < 0) throw new SyscallError(call, koffi.errno());
  return value;
}

/**
 * The new mount API (glibc ≥ 2.36, Linux ≥ 5.2), bound on first use: an older libc lacks the
 * symbols, and only the caller that asks for a detached mount has to cope with that.
 */
type LibcFunction = ReturnType<typeof libc.func>;
let mountApi: { fsopen: LibcFunction; fsconfig: LibcFunction; fsmount: LibcFunction } | undefined;
function newMountApi(): NonNullable<typeof mountApi> {
  mountApi ??= {
    fsopen: libc.func('int fsopen(const char *, unsigned int)'),
    fsconfig: libc.func('int fsconfig(int, unsigned int, const char *, const void *, int)'),
    fsmount: libc.func('int fsmount(int, unsigned int, unsigned int)'),
  };
  return mountApi;
}
const FSOPEN_CLOEXEC = 1;
const FSCONFIG_CMD_CREATE = 6;
const FSMOUNT_CLOEXEC = 1;
const MOUNT_ATTR_NOSUID_NODEV_NOEXEC = 0x2 | 0x4 | 0x8;

export const CLONE_NEWNET = 0x40000000;
export const MS_BIND = 0x1000;
export const MNT_DETACH = 2;
/** flock(2) operations. */
export const LOCK_EX = 2;
export const LOCK_NB = 4;
/** struct statfs is 120 bytes on 64-bit Linux; f_type is its first field (a long). */
const STATFS_SIZE = 120;

export const sys = {
  /** Gives the heap's free pages back to the system (glibc keeps what a finished thread freed). */
  mallocTrim: (): void => void mallocTrimFn(0),
  socket: (domain: number, type: number, protocol: number): number => check('socket', socketFn(domain, type, protocol)),
  setsockopt: (fd: number, level: number, name: number, value: Buffer): number =>
    check('setsockopt', setsockoptFn(fd, level, name, value, value.length)),
  /** Fills `into` (its length is the room given); returns how many bytes the kernel wrote. */
  getsockopt: (fd: number, level: number, name: number, into: Buffer): number => {
    const length = [into.length];
    check('getsockopt', getsockoptFn(fd, level, name, into, length));
    return length[0] as number;
  },
  send: (fd: number, data: Buffer, length: number): number => check('send', sendFn(fd, data, length, 0)),
  recv: (fd: number, into: Buffer, flags: number): number => check('recv', recvFn(fd, into, into.length, flags)),
  close: (fd: number): number => check('close', closeFn(fd)),
  /** `address`: a sockaddr as the kernel reads it (sockaddr_in / sockaddr_in6). */
  bind: (fd: number, address: Buffer): number => check('bind', bindFn(fd, address, address.length)),
  setns: (fd: number, nstype: number): number => check('setns', setnsFn(fd, nstype)),
  unshare: (flags: number): number => check('unshare', unshareFn(flags)),
  bindMount: (source: string, target: string): number => check('mount', mountFn(source, target, null, MS_BIND, null)),
  detach: (target: string): number => check('umount2', umount2Fn(target, MNT_DETACH)),
  /** The type of the file system the fd is on (statfs's f_type: a magic number). */
  fsType: (fd: number): number => {
    const buf = Buffer.alloc(STATFS_SIZE);
    check('fstatfs', fstatfsFn(fd, buf));
    return Number(buf.readBigInt64LE(0));
  },
  /** An ioctl without an argument (e.g. NS_GET_NSTYPE). */
  ioctl: (fd: number, request: number): number => check('ioctl', ioctlFn(fd, request)),
  flock: (fd: number, operation: number): number => check('flock', flockFn(fd, operation)),
  /** A new procfs, mounted nowhere: an fd of its root, the only way to it (closing it frees it). */
  detachedProc: (): number => {
    const api = newMountApi();
    const context = check('fsopen', api.fsopen('proc', FSOPEN_CLOEXEC));
    try {
      check('fsconfig', api.fsconfig(context, FSCONFIG_CMD_CREATE, null, null, 0));
      return check('fsmount', api.fsmount(context, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID_NODEV_NOEXEC));
    } finally {
      closeFn(context);
    }
  },
};
