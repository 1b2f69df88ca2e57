// Digests of what building a driver reads, to tell whether an earlier build is still current:
// scripts/build-guest-drivers.mjs keeps a driver's when they match, and the tests cache their fixtures by them.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The files under `dir` (paths and contents, in a stable order) as a hex digest. */
export function treeDigest(dir) {
  const hash = createHash('sha256');
  const files = readdirSync(dir, { recursive: true })
    .map(String)
    .filter((file) => statSync(join(dir, file)).isFile())
    .sort();
  for (const file of files)
    hash
      .update(`${file}\0`)
      .update(readFileSync(join(dir, file)))
      .update('\0');
  return hash.digest('hex');
}

/** The SDK of the checkout at `root` as a build uses it: its built code, AssemblyScript library, WIT, and the locked toolchain. */
export function sdkDigest(root) {
  const hash = createHash('sha256');
  for (const dir of ['sdk/dist', 'sdk/assembly', 'sdk/wit']) hash.update(`${dir}\0${treeDigest(join(root, dir))}\0`);
  return hash.update(readFileSync(join(root, 'package-lock.json'))).digest('hex');
}
