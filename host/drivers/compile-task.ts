// Piscina task: check a component and transpile it with jco (both block the event loop for
// tens to hundreds of ms), writing the result into the cache directory named by its hash.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { componentEmbed, componentNew, transpile } from '@bytecodealliance/jco';
import { checkComponent, checkSignatures } from './component-check.js';
import {
  type CacheMeta,
  type CompileResult,
  type CompileTask,
  JS_FILE,
  META_FILE,
  type WarmResult,
  type WarmStep,
} from './compile-protocol.js';
import { asDriverError, toWire } from './errors.js';
import { WORLDS } from '../wit/contract.js';
import { readWitSource } from '../wit/source.js';
import { BACKGROUND_NICE, setThreadNice } from './thread-priority.js';

// Transpiling is background work: calls to running drivers go first.
setThreadNice(BACKGROUND_NICE);

const TRANSPILE_OPTIONS = {
  name: 'component',
  instantiation: 'sync',
  noTypescript: true,
  quiet: true,
  minify: true,
} as const;

/** This thread's dummy driver (every export traps; it is never run). */
let dummy: Promise<Uint8Array> | undefined;

async function warm(step: WarmStep): Promise<WarmResult> {
  dummy ??= componentEmbed({ dummy: true, witSource: readWitSource(), world: WORLDS.networkDriver }).then(componentNew);
  const bytes = await dummy;
  if (step === 'check') await checkComponent(bytes);
  if (step === 'transpile') await transpile(bytes, TRANSPILE_OPTIONS);
  return { ok: true };
}

export default async function compile(task: CompileTask): Promise<CompileResult | WarmResult> {
  if ('warm' in task)
    return warm(task.warm).catch((error: unknown) => ({
      ok: false,
      error: toWire(asDriverError(error, `warm-up step ${task.warm}`)),
    }));
  const { bytes, dir } = task;
  try {
    const world = await checkComponent(bytes);
    const { files } = await transpile(bytes, TRANSPILE_OPTIONS);
    await checkSignatures(Object.fromEntries(Object.entries(files).filter(([name]) => name.endsWith('.wasm'))), world);
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
