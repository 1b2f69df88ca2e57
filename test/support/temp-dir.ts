// A directory of a test's own under the system's temporary one (TMPDIR), removed when it ends.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory named `prefix` + random characters, removed with everything in it after `t`. */
export function tempDir(t: { after(fn: () => Promise<void>): void }, prefix = 'wasmnet-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
