// Turns component bytes into what a driver worker instantiates: the transpiled JS (cached on
// disk by content hash, produced in a piscina pool off the main thread) and core modules
// compiled with the driver's memory cap.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import type { WorldName } from '../wit/contract.js';
import { fromWire } from './errors.js';
import { sys } from '../netlink/libc.js';
import { capMemory } from './memory-cap.js';
import { wasm, type CoreModule } from './wasm.js';
import {
  JS_FILE,
  META_FILE,
  WARM_STEPS,
  type CacheMeta,
  type CompileResult,
  type CompileTask,
  type WarmResult,
} from './compile-protocol.js';

export interface CompiledComponent {
  hash: string;
  world: WorldName;
  /** The transpiled instantiate() module, importable by file path. */
  jsPath: string;
  /** Core modules by the name the JS asks for, compiled with the memory cap. */
  modules: Record<string, CoreModule>;
  memoryMaxBytes: number;
  /** False when the transpiled form came from the cache. */
  transpiled: boolean;
}

export function hashComponent(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * How long the transpile thread outlives its last task. It holds jco (its JS and Wasm, ~100 MB),
 * which only a component missing from the cache needs: a daemon whose components are all cached
 * never starts it, and one that transpiled lets it go soon after.
 */
const IDLE_THREAD_MS = 5_000;

export class ComponentCompiler {
  readonly #pool: Piscina<CompileTask, CompileResult | WarmResult>;
  readonly #pending = new Map<string, Promise<CacheMeta>>();
  #warm: Promise<void> | undefined;
  #transpiled = false;

  constructor(
    readonly cacheDir: string,
    threads = 1,
  ) {
    this.#pool = new Piscina({
      filename: new URL('./compile-task.js', import.meta.url).href,
      minThreads: 0,
      maxThreads: threads,
      idleTimeout: IDLE_THREAD_MS,
    });
    // What the thread's jco held is freed when it ends, but kept by the allocator unless trimmed.
    this.#pool.on('workerDestroy', () => setImmediate(() => sys.mallocTrim()));
  }

  /**
   * Starts the transpile thread and has it transpile a dummy driver (loading jco takes most of a
   * cold load's time); resolves when it has: a cold load soon after is fast. Only for a caller
   * about to load components that are not cached (the pool lets the thread go when idle).
   */
  ready(): Promise<void> {
    this.#warm ??= this.#warmUp();
    return this.#warm;
  }

  /** Warms the kept thread in small steps (a real compile may queue between two, and then
   * warms it better than the rest of the steps would); never fails. */
  async #warmUp(): Promise<void> {
    for (const step of WARM_STEPS) {
      if (this.#transpiled) return;
      const result = await this.#pool.run({ warm: step }).catch(() => undefined);
      if (result?.ok !== true) return; // cannot warm (or closing): loads stay correct, only slower
    }
  }

  async compile(bytes: Uint8Array, memoryMaxBytes: number): Promise<CompiledComponent> {
    const hash = hashComponent(bytes);
    const dir = join(this.cacheDir, hash);
    let meta = await readMeta(dir);
    const transpiled = meta === undefined;
    if (meta === undefined) meta = await this.#transpile(hash, dir, bytes);
    const modules: Record<string, CoreModule> = {};
    for (const file of meta.coreFiles) {
      modules[file] = await wasm.compile(capMemory(await readFile(join(dir, file)), memoryMaxBytes));
    }
    return { hash, world: meta.world, jsPath: join(dir, JS_FILE), modules, memoryMaxBytes, transpiled };
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  /** One transpile per hash even when the same bytes arrive twice at once. */
  #transpile(hash: string, dir: string, bytes: Uint8Array): Promise<CacheMeta> {
    let pending = this.#pending.get(hash);
    if (pending === undefined) {
      this.#transpiled = true;
      pending = this.#pool.run({ bytes, dir }).then((result) => {
        if (!result.ok) throw fromWire(result.error);
        return (result as { meta: CacheMeta }).meta;
      });
      pending.finally(() => this.#pending.delete(hash)).catch(() => undefined);
      this.#pending.set(hash, pending);
    }
    return pending;
  }
}

async function readMeta(dir: string): Promise<CacheMeta | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, META_FILE), 'utf8')) as CacheMeta;
  } catch {
    return undefined;
  }
}
