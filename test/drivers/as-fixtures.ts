// Builds the AssemblyScript fixtures of test/drivers/fixtures/<name>/driver.as (or any .as file) with the SDK
// (a .ts file under test/ would be compiled by the repository's tsc); builds are cached (seconds each).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFixtureProject } from '../support/fixture-builds.js';

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
  return buildFixtureProject(
    source,
    (projectDir) => {
      mkdirSync(join(projectDir, 'assembly'));
      writeFileSync(join(projectDir, 'assembly', 'index.ts'), source);
    },
    { name, world },
  );
}
