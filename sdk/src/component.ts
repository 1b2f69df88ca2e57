// Run a component in-process: transpile it with jco (sync instantiation) and instantiate it
// with the given imports. Transpiles are cached by content hash for the life of the process.
import { transpile } from '@bytecodealliance/jco';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Imports keyed by unversioned interface name ("wasmnet:driver/netlink"), as jco expects. */
export type ComponentImports = Record<string, Record<string, unknown>>;

interface Transpiled {
  instantiate: (getCore: (name: string) => WebAssembly.Module, imports: ComponentImports) => Record<string, unknown>;
  cores: Map<string, WebAssembly.Module>;
}

const cache = new Map<string, Promise<Transpiled>>();
let outRoot: string | undefined;

/**
 * jco 1.35's glue reads `process.env.JCO_DEBUG` on every call (in `_debugLog`), a large share of
 * an in-process call: read it once, when the glue loads.
 */
const DEBUG_LOG =
  /const _debugLog = \(\.\.\.args\) => \{\n\s*if \(!globalThis\?\.process\?\.env\?\.JCO_DEBUG\) \{ return; \}\n\s*console\.debug\(\.\.\.args\);\n\s*\};/;
const DEBUG_LOG_ONCE =
  'const _debugLog = globalThis?.process?.env?.JCO_DEBUG ? (...args) => console.debug(...args) : () => {};';

function tempRoot(): string {
  if (outRoot === undefined) {
    const root = mkdtempSync(join(tmpdir(), 'wasmnet-sdk-'));
    process.once('exit', () => rmSync(root, { recursive: true, force: true }));
    outRoot = root;
  }
  return outRoot;
}

async function transpileOnce(component: Uint8Array): Promise<Transpiled> {
  const hash = createHash('sha256').update(component).digest('hex').slice(0, 16);
  let entry = cache.get(hash);
  if (entry === undefined) {
    entry = (async () => {
      const { files } = await transpile(component, { name: 'component', instantiation: 'sync' });
      const dir = join(tempRoot(), hash);
      const cores = new Map<string, WebAssembly.Module>();
      for (const [name, bytes] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        writeFileSync(
          join(dir, name),
          name === 'component.js' ? new TextDecoder().decode(bytes).replace(DEBUG_LOG, DEBUG_LOG_ONCE) : bytes,
        );
        if (name.endsWith('.wasm')) cores.set(name, new WebAssembly.Module(bytes));
      }
      const module = (await import(pathToFileURL(join(dir, 'component.js')).href)) as Pick<Transpiled, 'instantiate'>;
      return { instantiate: module.instantiate, cores };
    })();
    cache.set(hash, entry);
  }
  return entry;
}

/** Instantiate a component; returns its exports (jco's camelCase names, e.g. `driver`, `plugin`). */
export async function instantiateComponent<T = Record<string, unknown>>(
  component: Uint8Array,
  imports: ComponentImports,
): Promise<T> {
  const { instantiate, cores } = await transpileOnce(component);
  return instantiate((name) => {
    const core = cores.get(name);
    if (core === undefined) throw new Error(`transpile produced no ${name}`);
    return core;
  }, imports) as T;
}
