// Reads a component file a client or the drivers directory names, without ever blocking on it:
// only a regular file (lstat: never a FIFO, a device or a symlink) of at most `maxBytes`, checked
// before a byte is read. A FIFO opened for reading blocks a file-I/O thread until a writer comes
// (five such loads blocked `network disconnect`); a 300 MiB file was compiled whole.
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { excerpt } from '../excerpt.js';
import { InvalidParameter, NotFound } from './errors.js';

/** Largest component accepted by default: the built-in drivers are 33–60 KB; 16 MiB leaves room
 * for drivers written with heavier toolchains while keeping a compile's memory small. */
export const DEFAULT_MAX_COMPONENT_BYTES = 16 * 2 ** 20;

export function checkComponentSize(bytes: number, maxBytes: number, what: string): void {
  if (bytes > maxBytes)
    throw new InvalidParameter(`${what} is ${bytes} bytes, over the ${maxBytes}-byte limit of a component`);
}

export async function readComponentFile(path: string, maxBytes: number): Promise<Uint8Array> {
  const what = `component file ${excerpt(path, 256)}`;
  const stats = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') throw new NotFound(`${what} does not exist`);
    throw error;
  });
  if (!stats.isFile()) throw new InvalidParameter(`${what} is not a regular file`);
  checkComponentSize(stats.size, maxBytes, what);
  // O_NONBLOCK: if a FIFO took the file's place since the lstat, the open does not wait for a
  // writer, and fstat below refuses it. O_NOFOLLOW: nor a symlink.
  const file = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ELOOP') throw new InvalidParameter(`${what} is not a regular file`);
      throw error;
    },
  );
  try {
    const opened = await file.stat();
    if (!opened.isFile()) throw new InvalidParameter(`${what} is not a regular file`);
    checkComponentSize(opened.size, maxBytes, what);
    const bytes = new Uint8Array(opened.size);
    let filled = 0;
    for (let read = -1; read !== 0 && filled < bytes.length; filled += read)
      ({ bytesRead: read } = await file.read(bytes, filled, bytes.length - filled, filled));
    return bytes.subarray(0, filled);
  } finally {
    await file.close();
  }
}
