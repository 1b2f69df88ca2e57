// Builds the SDK's test fixtures (sdk/fixtures/*) once per process, each from a copy outside the
// repository (test/support/fixture-builds.ts).
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BuildOptions, SDK_ROOT } from '@wasmnet/sdk';
import { buildFixtureProject, treeDigest } from '../support/fixture-builds.js';

const FIXTURES = join(SDK_ROOT, 'fixtures');

const builds = new Map<string, Promise<Uint8Array>>();

/** The component of fixture project `name`, built with `options`, once per process. */
function build(name: string, options: Omit<BuildOptions, 'projectDir' | 'outFile'>): Promise<Uint8Array> {
  let result = builds.get(name);
  if (result === undefined) {
    const fixture = join(FIXTURES, name);
    result = buildFixtureProject(
      treeDigest(fixture),
      (projectDir) => cpSync(fixture, projectDir, { recursive: true, filter: (source) => !source.endsWith('/build') }),
      { name, ...options },
    );
    builds.set(name, result);
  }
  return result;
}

/** The round-trip world: the contract's package plus `echo` (exported) and `echo-host` (imported). */
export function roundtripWit(): string {
  const echo = readFileSync(join(FIXTURES, 'roundtrip', 'echo.wit'), 'utf8');
  return `\n${echo}\n${echo.replace('interface echo {', 'interface echo-host {')}\nworld roundtrip { import echo-host; export echo; }\n`;
}

export function buildRoundtrip(): Promise<Uint8Array> {
  return build('roundtrip', {
    world: 'roundtrip',
    // 16 MiB: a leak of the ABI buffers (100 MB over the leak test) traps instead of growing.
    maximumMemoryPages: 256,
    custom: { extraWit: roundtripWit(), impls: { echo: 'echo.ts' } },
  });
}

/** A fixture driver project under sdk/fixtures, built for `world`. */
export function buildFixture(name: string, world = 'network-driver'): Promise<Uint8Array> {
  return build(name, { world });
}
