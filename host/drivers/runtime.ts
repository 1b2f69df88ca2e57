// The driver runtime: loads components (file or bytes) into slots, registers their drivers,
// upgrades and unloads them. The functions the API calls; the directory watcher calls them too.
import { basename, join } from 'node:path';
import { ComponentCompiler, type CompiledComponent } from './compiler.js';
import { checkComponentSize, DEFAULT_MAX_COMPONENT_BYTES, readComponentFile } from './component-file.js';
import type { FirewallBackend } from './firewall.js';
import { Forbidden, InvalidParameter, NotFound } from './errors.js';
import { prepareSpare } from './instance.js';
import { checkDriverName } from './names.js';
import { LinkOwnership, type PlumbingBackend } from './plumbing.js';
import { DriverRegistry } from './registry.js';
import type { ReplayHook } from './replay.js';
import { DriverSlot, type SlotServices } from './slot.js';
import { FileStore, QuotaStore, type StoreBackend } from './store.js';
import { DEFAULT_STORE_QUOTA, type StoreQuota } from './store-quota.js';
import { DEFAULT_LOG_LIMITS, type LogLimits } from './log-limit.js';
import { DEFAULT_MAX_LINKS } from './link-limit.js';

export interface RuntimeOptions {
  /** Holds the transpile cache (cache/) and, by default, the drivers' stores (store/). */
  dataDir: string;
  plumbing: PlumbingBackend;
  registry?: DriverRegistry;
  store?: StoreBackend;
  ownership?: LinkOwnership;
  /** Where the guests' firewall rules go; without one, the firewall import answers no-service. */
  firewall?: FirewallBackend;
  /** Per-call deadline; 10 s by default. */
  deadlineMs?: number;
  /** Deadline of a new instance's instantiate + init; the larger of 10 s and `deadlineMs` by default. */
  initDeadlineMs?: number;
  /** Linear memory cap of each driver; 64 MiB by default, overridable per owner. */
  memoryMaxBytes?: number;
  memoryMaxBytesByOwner?: Record<string, number>;
  /** Each driver's store quota (store-quota.ts; DEFAULT_STORE_QUOTA by default), overridable per owner. */
  storeQuota?: Partial<StoreQuota>;
  storeQuotaByOwner?: Record<string, Partial<StoreQuota>>;
  /** Each driver's log limits (log-limit.ts; DEFAULT_LOG_LIMITS by default), overridable per owner. */
  logLimits?: Partial<LogLimits>;
  logLimitsByOwner?: Record<string, Partial<LogLimits>>;
  /** How many links each driver may own at once; DEFAULT_MAX_LINKS by default, overridable per owner. */
  maxLinks?: number;
  maxLinksByOwner?: Record<string, number>;
  /** Largest component file or bytes accepted by a load or an upgrade; 16 MiB by default. */
  maxComponentBytes?: number;
  /** Largest result a guest may return (strings, lists); 1 MiB by default. */
  maxResultBytes?: number;
  backoffMs?: number;
  backoffMaxMs?: number;
  unhealthyAfter?: number;
  /** The controller's replay of networks and endpoints after a restart or upgrade. */
  replay?: ReplayHook;
  /** Why the component's drivers cannot go (a network uses one), or undefined. */
  inUse?: (owner: string, names: string[]) => string | undefined;
  log?: (owner: string, level: string, message: string) => void;
}

export const DEFAULT_DEADLINE_MS = 10_000;
export const DEFAULT_MEMORY_MAX_BYTES = 64 * 2 ** 20;

export class DriverRuntime {
  readonly registry: DriverRegistry;
  readonly ownership: LinkOwnership;
  readonly #compiler: ComponentCompiler;
  readonly #slots = new Map<string, DriverSlot>();
  readonly #busy = new Map<string, Promise<unknown>>();
  #replay: ReplayHook | undefined;

  constructor(private readonly options: RuntimeOptions) {
    this.registry = options.registry ?? new DriverRegistry();
    this.ownership = options.ownership ?? new LinkOwnership();
    this.#compiler = new ComponentCompiler(join(options.dataDir, 'cache'));
    this.store = options.store ?? new FileStore(join(options.dataDir, 'store'));
    this.#quotaStore = new QuotaStore(this.store, (owner) => this.#storeQuota(owner));
    this.#replay = options.replay;
    void prepareSpare();
  }

  /** Warms the transpile thread and boots a spare driver worker, in parallel: a load then skips
   * their start-up. Loads need not wait for it; nothing calls it when every component is cached. */
  ready(): Promise<void> {
    return Promise.all([this.#compiler.ready(), prepareSpare()]).then(() => undefined);
  }

  /** Sets (or clears) the controller's replay hook; it applies to components already loaded. */
  setReplay(hook: ReplayHook | undefined): void {
    this.#replay = hook;
  }

  readonly store: StoreBackend;
  readonly #quotaStore: QuotaStore;
  readonly #droppedLogLines = new Map<string, number>();

  /** Loads `path`; its owner name is the file name without `.wasm` unless given. */
  async loadFile(path: string, owner = ownerOf(path)): Promise<DriverSlot> {
    return this.load(owner, await this.readComponent(path));
  }

  /** Upgrades `owner` to the component in `path`. */
  async upgradeFile(owner: string, path: string): Promise<DriverSlot> {
    return this.upgrade(owner, await this.readComponent(path));
  }

  /** A component file's bytes: a regular file within the size limit (component-file.ts). */
  readComponent(path: string): Promise<Uint8Array> {
    return readComponentFile(path, this.#maxComponentBytes);
  }

  get #maxComponentBytes(): number {
    return this.options.maxComponentBytes ?? DEFAULT_MAX_COMPONENT_BYTES;
  }

  /** Checks, compiles, instantiates and initializes a component, and registers its drivers. */
  load(owner: string, bytes: Uint8Array): Promise<DriverSlot> {
    return this.#exclusive(owner, async () => {
      checkDriverName('component', owner);
      if (this.#slots.has(owner)) throw new Forbidden(`${owner} is already loaded; upgrade it instead`);
      const slot = await DriverSlot.load(owner, await this.#compile(owner, bytes), this.#services(owner));
      this.#slots.set(owner, slot);
      return slot;
    });
  }

  /**
   * Swaps in a new version between two calls; the new instance starts with the old one's store.
   * Logged (a warning): an upgrade replaces what serves live networks, built-in ones included.
   */
  upgrade(owner: string, bytes: Uint8Array): Promise<DriverSlot> {
    return this.#exclusive(owner, async () => {
      const slot = this.#slot(owner);
      const compiled = await this.#compile(owner, bytes);
      const before = slot.hash;
      if (compiled.hash === before) return slot;
      await slot.upgrade(compiled);
      this.#log(owner, 'warn', `${owner} upgraded from ${before.slice(0, 12)} to ${compiled.hash.slice(0, 12)}`);
      return slot;
    });
  }

  /** Unloads a component unless a network still uses one of its drivers. */
  unload(owner: string): Promise<void> {
    return this.#exclusive(owner, async () => {
      const slot = this.#slot(owner);
      const reason = this.options.inUse?.(
        owner,
        slot.registrations.map((reg) => reg.name),
      );
      if (reason !== undefined) throw new Forbidden(`${owner} stays loaded: ${reason}`);
      await slot.unload();
      this.#slots.delete(owner);
    });
  }

  /** Log lines of `owner`'s instances the limits dropped since the runtime started. */
  droppedLogLines(owner: string): number {
    return this.#droppedLogLines.get(owner) ?? 0;
  }

  slot(owner: string): DriverSlot | undefined {
    return this.#slots.get(owner);
  }

  get owners(): string[] {
    return [...this.#slots.keys()];
  }

  async close(): Promise<void> {
    for (const owner of this.owners) await this.#slot(owner).unload();
    this.#slots.clear();
    await this.#compiler.close();
  }

  #slot(owner: string): DriverSlot {
    const slot = this.#slots.get(owner);
    if (slot === undefined) throw new NotFound(`no component ${owner} is loaded`);
    return slot;
  }

  #compile(owner: string, bytes: Uint8Array): Promise<CompiledComponent> {
    checkComponentSize(bytes.length, this.#maxComponentBytes, `component ${owner}`);
    const max = this.options.memoryMaxBytesByOwner?.[owner] ?? this.options.memoryMaxBytes ?? DEFAULT_MEMORY_MAX_BYTES;
    if (!(max >= 65536)) throw new InvalidParameter(`memory cap of ${owner} must be at least 64 KiB`);
    return this.#compiler.compile(bytes, max);
  }

  #storeQuota(owner: string): StoreQuota {
    return { ...DEFAULT_STORE_QUOTA, ...this.options.storeQuota, ...this.options.storeQuotaByOwner?.[owner] };
  }

  get #log(): (owner: string, level: string, message: string) => void {
    return (
      this.options.log ??
      ((owner: string, level: string, message: string) => process.emitWarning(`${owner} [${level}] ${message}`))
    );
  }

  #services(owner: string): SlotServices {
    const o = this.options;
    const log = this.#log;
    const logLimits = { ...DEFAULT_LOG_LIMITS, ...o.logLimits, ...o.logLimitsByOwner?.[owner] };
    return {
      registry: this.registry,
      store: this.#quotaStore,
      storeQuota: this.#storeQuota(owner),
      plumbing: o.plumbing,
      ownership: this.ownership,
      firewall: o.firewall,
      limits: {
        deadlineMs: o.deadlineMs ?? DEFAULT_DEADLINE_MS,
        initDeadlineMs: o.initDeadlineMs ?? Math.max(o.deadlineMs ?? 0, DEFAULT_DEADLINE_MS),
        maxResultBytes: o.maxResultBytes ?? 2 ** 20,
      },
      faultPolicy: {
        backoffMs: o.backoffMs ?? 100,
        backoffMaxMs: o.backoffMaxMs ?? 30_000,
        unhealthyAfter: o.unhealthyAfter ?? 3,
      },
      log,
      logLimits,
      maxLinks: o.maxLinksByOwner?.[owner] ?? o.maxLinks ?? DEFAULT_MAX_LINKS,
      logDropped: (dropped: string, count: number) => {
        this.#droppedLogLines.set(dropped, this.droppedLogLines(dropped) + count);
        log(
          dropped,
          'warn',
          `driver ${dropped} dropped ${count} log lines (limit: ${logLimits.linesPerSecond} lines/s, bursts of ${logLimits.burst})`,
        );
      },
      replay: () => this.#replay,
    };
  }

  /** Operations on one owner run one at a time (a load racing an unload of the same file). */
  #exclusive<T>(owner: string, task: () => Promise<T>): Promise<T> {
    const run = (this.#busy.get(owner) ?? Promise.resolve()).then(task);
    const settled = run.catch(() => undefined);
    this.#busy.set(owner, settled);
    void settled.then(() => {
      if (this.#busy.get(owner) === settled) this.#busy.delete(owner);
    });
    return run;
  }
}

export function ownerOf(path: string): string {
  return basename(path).replace(/\.wasm$/, '');
}
