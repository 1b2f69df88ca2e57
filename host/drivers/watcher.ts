// Hot load, unload and upgrade from a watched drivers directory: a .wasm that appears is
// loaded, one that changes is upgraded, one that disappears is unloaded (unless in use).
// Writers should rename a finished file into place; a half-written file fails and is retried
// on its next change event. A file named after a built-in owner is refused (and reported): it
// would take over the built-in's networks and links; a built-in is upgraded only through the API.
import { watch, type FSWatcher } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { hashComponent } from './compiler.js';
import { Forbidden, NotFound } from './errors.js';
import { ownerOf, type DriverRuntime } from './runtime.js';

export interface WatchEvent {
  owner: string;
  action: 'loaded' | 'upgraded' | 'unloaded' | 'unchanged';
}

export class DriversDirectory {
  #watcher: FSWatcher | undefined;
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly runtime: DriverRuntime,
    readonly dir: string,
    private readonly report: (event: WatchEvent | { owner: string; error: Error }) => void,
    /** Owners the directory may not load, upgrade or unload (the built-in drivers). */
    private readonly builtins: ReadonlySet<string> = new Set(),
    private readonly debounceMs = 10,
  ) {}

  /** Loads what is there now, then follows changes. */
  async start(): Promise<void> {
    this.#watcher = watch(this.dir, (_event, file) => {
      if (file?.endsWith('.wasm')) this.#schedule(file);
    });
    for (const file of await readdir(this.dir)) if (file.endsWith('.wasm')) await this.sync(file);
  }

  stop(): void {
    this.#watcher?.close();
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  /** Brings the runtime in line with one file of the directory. */
  async sync(file: string): Promise<void> {
    const owner = ownerOf(file);
    try {
      if (this.builtins.has(owner))
        throw new Forbidden(
          `${file} is ignored: ${owner} is a built-in driver, which a file cannot replace (upgrade it through the API)`,
        );
      const bytes = await this.runtime.readComponent(join(this.dir, file)).catch((error: unknown) => {
        if (error instanceof NotFound) return undefined;
        throw error;
      });
      const slot = this.runtime.slot(owner);
      if (bytes === undefined) {
        if (slot === undefined) return;
        await this.runtime.unload(owner);
        this.report({ owner, action: 'unloaded' });
      } else if (slot === undefined) {
        await this.runtime.load(owner, bytes);
        this.report({ owner, action: 'loaded' });
      } else if (hashComponent(bytes) !== slot.hash) {
        await this.runtime.upgrade(owner, bytes);
        this.report({ owner, action: 'upgraded' });
      }
    } catch (error) {
      this.report({ owner, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }

  #schedule(file: string): void {
    clearTimeout(this.#timers.get(file));
    this.#timers.set(
      file,
      setTimeout(() => {
        this.#timers.delete(file);
        void this.sync(file);
      }, this.debounceMs),
    );
  }
}
