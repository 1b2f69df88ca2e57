// One daemon per data directory: two would share one LMDB and the second would replace the
// first's sockets. An flock on `DIR/lock` is the guard; the kernel releases it when the holder
// exits, even by SIGKILL, so a crash never leaves a stale lock (a pid file would).
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LOCK_EX, LOCK_NB, SyscallError, sys } from '../netlink/libc.js';

const EWOULDBLOCK = 11;

/** The data directory is locked by another process. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number | undefined,
  ) {
    super(`data directory ${dataDir} is in use by another wasmnet daemon${pid === undefined ? '' : ` (pid ${pid})`}`);
    this.name = 'DataDirInUseError';
  }
}

/** Locks `dataDir` (made if missing) for this process; `release` lets go of it. */
export function lockDataDir(dataDir: string): { release(): void } {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, 'lock');
  const fd = openSync(path, 'a+', 0o600);
  try {
    sys.flock(fd, LOCK_EX | LOCK_NB);
  } catch (error) {
    closeSync(fd);
    if (error instanceof SyscallError && error.errno === EWOULDBLOCK) {
      const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
      throw new DataDirInUseError(dataDir, Number.isNaN(pid) ? undefined : pid);
    }
    throw error;
  }
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`);
  let held = true;
  return {
    release: () => {
      if (held) closeSync(fd);
      held = false;
    },
  };
}
