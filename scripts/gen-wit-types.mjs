// Generates the host's TypeScript types for the WIT contract (wit/) with jco's type generator.
// Output: host/generated/wit/<world>/ (git-ignored, never edited by hand).
//
// jco's WIT-from-disk path runs a vendored wasm-tools component that gets no filesystem
// preopens from preview2-shim 0.26 (ENOENT); we hand it "/" before loading jco.
import { createRequire } from 'node:module';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const requireFromTranspile = createRequire(createRequire(import.meta.url).resolve('@bytecodealliance/jco-transpile'));
const fsShim = await import(
  pathToFileURL(requireFromTranspile.resolve('@bytecodealliance/preview2-shim/filesystem')).href
);
fsShim._setPreopens({ '/': '/' });
const { generateHostTypes } = await import('@bytecodealliance/jco-transpile');

const witDir = join(root, 'wit');
const outRoot = join(root, 'host', 'generated', 'wit');
await rm(outRoot, { recursive: true, force: true });
for (const world of ['network-driver', 'ipam-driver']) {
  const files = await generateHostTypes(witDir, {
    worldName: `wasmnet:driver/${world}`,
    name: world,
    instantiation: 'sync',
  });
  for (const [name, bytes] of Object.entries(files)) {
    const path = join(outRoot, world, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes);
  }
}
