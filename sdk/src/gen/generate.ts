// Writes the generated AssemblyScript bindings for the SDK's WIT into sdk/assembly/generated.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseWit } from '../wit/parse.js';
import { SDK_ROOT, readWitSource } from '../wit/source.js';
import { BindingsGenerator, type GeneratedWorld } from './bindings.js';

export const GENERATED_DIR = join(SDK_ROOT, 'assembly', 'generated');

/** The implementation module of each exported interface, per world, relative to GENERATED_DIR. */
export const SDK_WORLDS: Record<string, Record<string, string>> = {
  'network-driver': { plugin: '../driver-exports', driver: '../driver-exports' },
  'ipam-driver': { plugin: '../ipam-exports', ipam: '../ipam-exports' },
};

/** Generates the bindings; rewrites files only when they changed. Returns each world's renames. */
export function generateSdkBindings(witSource: string = readWitSource()): Record<string, GeneratedWorld['renames']> {
  const generated = new BindingsGenerator(parseWit(witSource)).generate(
    { runtime: '../wit-rt', bindings: './bindings' },
    SDK_WORLDS,
  );
  mkdirSync(GENERATED_DIR, { recursive: true });
  writeIfChanged(join(GENERATED_DIR, 'bindings.ts'), generated.bindings);
  const renames: Record<string, GeneratedWorld['renames']> = {};
  for (const [world, glue] of Object.entries(generated.worlds)) {
    writeIfChanged(join(GENERATED_DIR, `${world}.ts`), glue.source);
    renames[world] = glue.renames;
  }
  return renames;
}

export function writeIfChanged(path: string, text: string): void {
  let old: string | undefined;
  try {
    old = readFileSync(path, 'utf8');
  } catch {
    old = undefined;
  }
  if (old !== text) writeFileSync(path, text);
}
