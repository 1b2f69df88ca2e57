// A benchmark's working directory on its own tmpfs, as /run is on a standard system: on a
// journal-less ext4 the inode allocator skips every recently freed inode and reads its on-disk
// time to do so (ext4's recently_deleted), so a file creation's cost depends on what ran in the
// minute before. Every tool of a run works inside it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';

/** Runs `task` with a tmpfs mounted on `dir` (made if missing), then unmounts and removes it. */
export async function withTmpfsWorkDir<T>(dir: string, task: (dir: string) => Promise<T>): Promise<T> {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', dir]);
  try {
    return await task(dir);
  } finally {
    // Lazy: a namespace file a failed run left bound inside goes with the tmpfs.
    execFileSync('umount', ['--lazy', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}
