// The WIT contract as one source text, for jco's APIs that take `witSource`.
//
// jco's WIT-from-disk code paths run a vendored wasm-tools component without filesystem
// preopens (ENOENT), so we read wit/*.wit ourselves and hand jco the text: the files of one
// package, concatenated under a single package header.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WIT_PACKAGE } from './contract.js';

/** wit/ at the repository root (this file is compiled to dist/host/wit/). */
export const WIT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../wit');

const PACKAGE_LINE = /^package\s+[^;]+;\s*$/m;

export function readWitSource(witDir: string = WIT_DIR): string {
  const files = readdirSync(witDir)
    .filter((file) => file.endsWith('.wit'))
    .sort();
  const bodies = files.map((file) => readFileSync(join(witDir, file), 'utf8').replace(PACKAGE_LINE, ''));
  return [`package ${WIT_PACKAGE};`, ...bodies].join('\n');
}
