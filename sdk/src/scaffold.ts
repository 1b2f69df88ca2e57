// `wasmnet-sdk init NAME`: copy the driver template, naming it and pointing its SDK
// dependency at this SDK (a file: dependency, so it builds offline).
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SDK_ROOT } from './wit/source.js';

const TEMPLATE = join(SDK_ROOT, 'templates', 'driver');

export function scaffold(name: string, dir: string): void {
  if (!/^[a-z][a-z0-9-]*$/.test(name))
    throw new Error(`driver name must be lower-case letters, digits and dashes: ${name}`);
  if (existsSync(dir) && readdirSync(dir).length > 0) throw new Error(`${dir} is not empty`);
  const className = `${name.replace(/(^|-)([a-z0-9])/g, (_, _dash: string, c: string) => c.toUpperCase())}Driver`;
  const fill = (text: string): string =>
    text.replaceAll('__NAME__', name).replaceAll('__CLASS__', className).replaceAll('__SDK__', SDK_ROOT);
  copyTree(TEMPLATE, dir, fill);
}

function copyTree(from: string, to: string, fill: (text: string) => string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from)) {
    const source = join(from, entry);
    if (statSync(source).isDirectory()) copyTree(source, join(to, entry), fill);
    else writeFileSync(join(to, entry), fill(readFileSync(source, 'utf8')));
  }
}
