// Builds the AssemblyScript fixtures of test/drivers/fixtures/<name>/driver.as (or any .as file) with the SDK.
// The source is copied into a temporary project linked to the SDK (a .ts file under test/
// would be compiled by the repository's tsc); builds are cached by source hash (seconds each).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDriver } from '@wasmnet/sdk';
import { DATA_DIR } from './harness.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const sources = join(root, 'test', 'drivers', 'fixtures');

/** Builds fixture `name` for `world`; `edit` ([from, to]) changes its source first (another version). */
export function buildAsFixture(name: string, edit?: [string, string], world = 'network-driver'): Promise<Uint8Array> {
  return buildAsFile(join(sources, name, 'driver.as'), name, edit, world);
}

/** Builds the AssemblyScript driver in `file` (any directory) as `name`; see buildAsFixture. */
export async function buildAsFile(
  file: string,
  name: string,
  edit?: [string, string],
  world = 'network-driver',
): Promise<Uint8Array> {
  const original = readFileSync(file, 'utf8');
  if (edit !== undefined && !original.includes(edit[0])) throw new Error(`${file} has no "${edit[0]}"`);
  const source = edit === undefined ? original : original.replace(edit[0], edit[1]);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const project = join(DATA_DIR, 'as-fixtures', `${name}-${hash}`);
  const outFile = join(project, 'build', `${name}.wasm`);
  if (!existsSync(outFile)) {
    mkdirSync(join(project, 'assembly'), { recursive: true });
    writeFileSync(join(project, 'assembly', 'index.ts'), source);
    mkdirSync(join(project, 'node_modules', '@wasmnet'), { recursive: true });
    if (!existsSync(join(project, 'node_modules', '@wasmnet', 'sdk')))
      symlinkSync(join(root, 'sdk'), join(project, 'node_modules', '@wasmnet', 'sdk'));
    await buildDriver({ projectDir: project, name, outFile, world });
  }
  return readFileSync(outFile);
}
