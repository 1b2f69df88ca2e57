// Builds the SDK's test fixtures (sdk/fixtures/*) once per process, each from a copy in a
// temporary directory of the process's own (removed when it exits): nothing is written in the repository.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDriver, SDK_ROOT, type BuildResult } from '@wasmnet/sdk';
import { linkSdk } from '../support/sdk-project.js';

const FIXTURES = join(SDK_ROOT, 'fixtures');

const builds = new Map<string, Promise<BuildResult>>();

function once(key: string, build: () => Promise<BuildResult>): Promise<BuildResult> {
  let result = builds.get(key);
  if (result === undefined) {
    result = build();
    builds.set(key, result);
  }
  return result;
}

let scratch: string | undefined;

/** A copy of fixture project `name`, linked to the SDK. */
function copyOf(name: string): string {
  if (scratch === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'wasmnet-sdk-fixtures-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    scratch = dir;
  }
  const projectDir = join(scratch, name);
  cpSync(join(FIXTURES, name), projectDir, { recursive: true, filter: (source) => !source.endsWith('/build') });
  linkSdk(projectDir);
  return projectDir;
}

/** The round-trip world: the contract's package plus `echo` (exported) and `echo-host` (imported). */
export function roundtripWit(): string {
  const echo = readFileSync(join(FIXTURES, 'roundtrip', 'echo.wit'), 'utf8');
  return `\n${echo}\n${echo.replace('interface echo {', 'interface echo-host {')}\nworld roundtrip { import echo-host; export echo; }\n`;
}

export function buildRoundtrip(): Promise<BuildResult> {
  return once('roundtrip', () =>
    buildDriver({
      projectDir: copyOf('roundtrip'),
      world: 'roundtrip',
      name: 'roundtrip',
      // 16 MiB: a leak of the ABI buffers (100 MB over the leak test) traps instead of growing.
      maximumMemoryPages: 256,
      custom: { extraWit: roundtripWit(), impls: { echo: 'echo.ts' } },
    }),
  );
}

/** A fixture driver project under sdk/fixtures, built for `world`. */
export function buildFixture(name: string, world = 'network-driver'): Promise<BuildResult> {
  return once(name, () => buildDriver({ projectDir: copyOf(name), world, name }));
}
