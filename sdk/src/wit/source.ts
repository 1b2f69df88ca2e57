// The WIT package as one source text: jco's APIs take `witSource`, and its WIT-from-disk
// paths fail (no filesystem preopens), so the files are concatenated under one package line.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** sdk/wit: a copy of the repository's wit/ made by the SDK build, shipped with the SDK. */
export const SDK_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SDK_WIT_DIR = join(SDK_ROOT, 'wit');

const PACKAGE_LINE = /^package\s+([^;]+);\s*$/m;

export function readWitSource(witDir: string = SDK_WIT_DIR): string {
  const files = readdirSync(witDir)
    .filter((file) => file.endsWith('.wit'))
    .sort();
  let header = '';
  const bodies = files.map((file) => {
    const text = readFileSync(join(witDir, file), 'utf8');
    header ||= PACKAGE_LINE.exec(text)?.[1] ?? '';
    return text.replace(PACKAGE_LINE, '');
  });
  if (header === '') throw new Error(`no package line in ${witDir}`);
  return [`package ${header};`, ...bodies].join('\n');
}
