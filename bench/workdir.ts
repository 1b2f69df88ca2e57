// A benchmark's working directory on its own tmpfs, as /run is on a standard system. On this VM
// /run is a journal-less ext4, whose inode allocator skips every inode freed in the last 5–35 s
// and reads each one's on-disk time to do so (ext4's recently_deleted). With a lifecycle's files
// and namespace mount points made and removed hundreds of times a second, that made a sandbox's
// file creations cost 0.1–1.5 ms, depending on what ran in the minute before (perf:
// ext4_create ~10% of the process's CPU). Every tool of a run works inside it.
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
