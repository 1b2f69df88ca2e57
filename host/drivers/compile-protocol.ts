// What the compiler and its transpile thread (compile-task.ts) exchange, and the cache's file
// names: apart from the task itself, so that importing them does not load jco.
import type { WireError } from './errors.js';
import type { WorldName } from '../wit/contract.js';

/**
 * The warm-up of a pool thread, one small task each, so that a real compile arriving
 * meanwhile waits for one step at most: build a dummy driver of our world (jco's own Wasm
 * compiles on first use), check it, transpile it. After them a first cold load is fast.
 */
export const WARM_STEPS = ['build', 'check', 'transpile'] as const;
export type WarmStep = (typeof WARM_STEPS)[number];

export type CompileTask =
  | {
      bytes: Uint8Array;
      /** Final cache directory of this hash; written atomically. */
      dir: string;
    }
  | { warm: WarmStep };

export interface CacheMeta {
  world: WorldName;
  /** Core module file names, as the transpiled JS asks for them. */
  coreFiles: string[];
}

export type CompileResult = { ok: true; meta: CacheMeta } | { ok: false; error: WireError };
export type WarmResult = { ok: true } | { ok: false; error: WireError };

export const JS_FILE = 'component.mjs';
export const META_FILE = 'meta.json';
