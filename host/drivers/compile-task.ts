// Piscina task: check a component and transpile it with jco (both block the event loop for
// tens to hundreds of ms), writing the result into the cache directory named by its hash.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { transpile } from '@bytecodealliance/jco';
import { checkComponent } from './component-check.js';
import { asDriverError, toWire, type WireError } from './errors.js';
import type { WorldName } from '../wit/contract.js';

export interface CompileTask {
  /** Empty to only load and warm jco (its own Wasm compiles on first use). */
  bytes: Uint8Array;
  /** Final cache directory of this hash; written atomically. */
  dir: string;
}

export interface CacheMeta {
  world: WorldName;
  /** Core module file names, as the transpiled JS asks for them. */
  coreFiles: string[];
}

export type CompileResult = { ok: true; meta: CacheMeta } | { ok: false; error: WireError };

export const JS_FILE = 'component.mjs';
export const META_FILE = 'meta.json';

/** The smallest valid component: transpiling it initializes jco's bindgen. */
const EMPTY_COMPONENT = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);

export default async function compile({ bytes, dir }: CompileTask): Promise<CompileResult> {
  if (bytes.length === 0) {
    await transpile(EMPTY_COMPONENT, { name: 'warm', instantiation: 'sync', noTypescript: true, quiet: true, minify: true }).catch(() => undefined);
    return { ok: false, error: { kind: 'internal', message: 'warm-up only' } };
  }
  try {
    const world = await checkComponent(bytes);
    const { files } = await transpile(bytes, { name: 'component', instantiation: 'sync', noTypescript: true, quiet: true, minify: true });
    const staging = `${dir}.tmp-${process.pid}-${Date.now()}`;
    await mkdir(staging, { recursive: true });
    const coreFiles: string[] = [];
    for (const [name, content] of Object.entries(files)) {
      if (name.endsWith('.wasm')) coreFiles.push(name);
      else if (name !== 'component.js') continue;
      await writeFile(join(staging, name === 'component.js' ? JS_FILE : name), content);
    }
    const meta: CacheMeta = { world, coreFiles };
    await writeFile(join(staging, META_FILE), JSON.stringify(meta));
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
    return { ok: true, meta };
  } catch (error) {
    return { ok: false, error: toWire(asDriverError(error, 'transpiling the component')) };
  }
}
