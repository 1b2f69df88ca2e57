// Builds the drivers that ship (guest-drivers/*) with the SDK alone, into dist/guest-drivers/NAME.wasm,
// where the controller loads its built-in drivers from. A driver whose inputs (its sources and the SDK:
// scripts/inputs-digest.mjs) are unchanged since its last build, as NAME.wasm.inputs next to it records,
// is not built again.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sdkDigest, treeDigest } from './inputs-digest.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(root, 'guest-drivers');
const outDir = join(root, 'dist', 'guest-drivers');
mkdirSync(outDir, { recursive: true });

const sdk = sdkDigest(root);
/** A digest of everything building driver `name` reads. */
const inputsDigest = (name) =>
  createHash('sha256')
    .update(sdk)
    .update(readFileSync(join(sourceDir, name, 'package.json')))
    .update(treeDigest(join(sourceDir, name, 'assembly')))
    .digest('hex');

const drivers = readdirSync(sourceDir).filter((name) => existsSync(join(sourceDir, name, 'assembly', 'index.ts')));
for (const name of drivers) {
  const outFile = join(outDir, `${name}.wasm`);
  const stampFile = `${outFile}.inputs`;
  const digest = inputsDigest(name);
  if (existsSync(outFile) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === digest) {
    console.log(`guest driver ${name}: ${outFile} (inputs unchanged)`);
    continue;
  }
  // Loaded only when there is something to build: it loads AssemblyScript and jco (most of a second).
  const { buildDriver } = await import('@wasmnet/sdk');
  const { component } = await buildDriver({ projectDir: join(sourceDir, name), name, outFile });
  writeFileSync(stampFile, digest);
  console.log(`guest driver ${name}: ${outFile} (${component.length} bytes)`);
}
