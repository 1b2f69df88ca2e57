// Components built from AssemblyScript fixtures in a temporary project outside the repository (so a
// test writes nothing there), linked to this checkout's SDK as asc resolves packages, and cached per
// user under TMPDIR by a digest of everything the build reads: the fixture, the build options and the
// SDK (scripts/inputs-digest.mjs, as the guest drivers' build does). Only what changed is built again.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BuildOptions, buildDriver, SDK_ROOT } from '@wasmnet/sdk';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const digests = (await import(pathToFileURL(join(root, 'scripts', 'inputs-digest.mjs')).href)) as {
  sdkDigest(root: string): string;
  treeDigest(dir: string): string;
};
/** The files under `dir` (paths and contents) as a hex digest. */
export const treeDigest = digests.treeDigest;
const SDK_DIGEST = digests.sdkDigest(root);
const CACHE = join(tmpdir(), `wasmnet-fixture-builds-${process.getuid?.() ?? 0}`);

/**
 * The component built from the project `fill` writes into an empty folder, with `options`; `sources`
 * identifies what `fill` writes (its text, or a digest of it).
 */
export async function buildFixtureProject(
  sources: string,
  fill: (projectDir: string) => void,
  options: Omit<BuildOptions, 'projectDir' | 'outFile'>,
): Promise<Uint8Array> {
  const digest = createHash('sha256').update(SDK_DIGEST).update(sources).update(JSON.stringify(options));
  const file = join(CACHE, `${options.name ?? 'fixture'}-${digest.digest('hex').slice(0, 32)}.wasm`);
  if (!existsSync(file)) {
    const projectDir = mkdtempSync(join(tmpdir(), 'wasmnet-fixture-'));
    try {
      fill(projectDir);
      mkdirSync(join(projectDir, 'node_modules', '@wasmnet'), { recursive: true });
      symlinkSync(SDK_ROOT, join(projectDir, 'node_modules', '@wasmnet', 'sdk'));
      mkdirSync(CACHE, { recursive: true });
      // Another test process may build the same fixture at once: each writes its own file, then renames it.
      const partial = `${file}.${process.pid}`;
      await buildDriver({ ...options, projectDir, outFile: partial });
      renameSync(partial, file);
    } finally {
      rmSync(projectDir, { recursive: true, force: true });
    }
  }
  return readFileSync(file);
}
