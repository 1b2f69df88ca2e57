// Builds the drivers that ship (guest-drivers/*) with the SDK alone, into dist/guest-drivers/NAME.wasm,
// where the controller loads its built-in drivers from.
import { readdirSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDriver } from '@wasmnet/sdk';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(root, 'guest-drivers');
const outDir = join(root, 'dist', 'guest-drivers');
mkdirSync(outDir, { recursive: true });

const drivers = readdirSync(sourceDir).filter((name) => existsSync(join(sourceDir, name, 'assembly', 'index.ts')));
for (const name of drivers) {
  const { outFile, component } = await buildDriver({
    projectDir: join(sourceDir, name),
    name,
    outFile: join(outDir, `${name}.wasm`),
  });
  console.log(`guest driver ${name}: ${outFile} (${component.length} bytes)`);
}
