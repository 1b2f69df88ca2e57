// A local copy of every key under an etcd prefix, kept in step as flannel keeps its subnet
// leases: read everything, then watch from the next revision; after a disconnect, resume from
// the last revision applied (our own count: etcd3 resumes from the watch's header revision,
// which can skip events not yet delivered); after a compaction past it, read everything again
// and turn the difference into changes. Every change is applied once, in revision order.
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';

export type MirrorChange =
  | { type: 'put'; key: string; value: Buffer; previous: Buffer | undefined }
  | { type: 'delete'; key: string; previous: Buffer };

export type MirrorListener = (changes: MirrorChange[]) => void;

export class PrefixMirror {
  readonly #entries = new Map<string, Buffer>();
  /** The highest revision applied: everything up to it is in `#entries`. */
  #revision = 0;
  #watcher: Watcher | undefined;
  #closed = false;

  private constructor(
    private readonly client: Etcd3,
    readonly prefix: string,
    private readonly listener: MirrorListener,
    private readonly warn: (message: string) => void,
  ) {}

  /** Resolves once the first read is applied (its entries delivered as puts) and the watch is on. */
  static async start(
    client: Etcd3,
    prefix: string,
    listener: MirrorListener,
    warn: (message: string) => void,
  ): Promise<PrefixMirror> {
    const mirror = new PrefixMirror(client, prefix, listener, warn);
    await mirror.#resync();
    return mirror;
  }

  /** The entries now, keys without the prefix. */
  entries(): ReadonlyMap<string, Buffer> {
    return this.#entries;
  }

  get revision(): number {
    return this.#revision;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const watcher = this.#watcher;
    this.#watcher = undefined;
    await watcher?.cancel().catch(() => undefined);
  }

  /** Reads everything, applies the difference, then watches from the revision after the read. */
  async #resync(): Promise<void> {
    const response = await this.client.getAll().prefix(this.prefix).exec();
    if (this.#closed) return;
    const read = new Map<string, Buffer>();
    for (const kv of response.kvs) read.set(this.#key(kv), kv.value);
    const changes: MirrorChange[] = [];
    for (const [key, previous] of this.#entries) if (!read.has(key)) changes.push({ type: 'delete', key, previous });
    for (const [key, value] of read) {
      const previous = this.#entries.get(key);
      if (previous === undefined || !previous.equals(value)) changes.push({ type: 'put', key, value, previous });
    }
    for (const change of changes) this.#apply(change);
    this.#revision = Number(response.header.revision);
    this.#emit(changes);
    await this.#watch();
  }

  async #watch(): Promise<void> {
    const watcher = await this.client
      .watch()
      .prefix(this.prefix)
      .startRevision(String(this.#revision + 1))
      .create();
    if (this.#closed) {
      await watcher.cancel();
      return;
    }
    this.#watcher = watcher;
    const resumeFromOurs = (): void => {
      // Runs after etcd3's own handler, which set the resume point from the header revision.
      watcher.request.start_revision = String(this.#revision + 1);
    };
    watcher.on('connected', resumeFromOurs);
    watcher.on('data', (response) => {
      const changes: MirrorChange[] = [];
      // A revision's events (a transaction, a lease's expiry) share it and come in one response.
      const applied = this.#revision;
      for (const event of response.events) {
        const revision = Number(event.kv.mod_revision);
        if (revision <= applied) continue;
        const key = this.#key(event.kv);
        const previous = this.#entries.get(key);
        const change: MirrorChange | undefined =
          event.type === 'Put'
            ? { type: 'put', key, value: event.kv.value, previous }
            : previous === undefined
              ? undefined
              : { type: 'delete', key, previous };
        this.#revision = revision;
        if (change === undefined) continue;
        this.#apply(change);
        changes.push(change);
      }
      resumeFromOurs();
      this.#emit(changes);
    });
    watcher.on('error', (error: Error) => {
      // etcd cancelled the watch (a compaction past our revision): read everything again.
      if (this.#watcher !== watcher || this.#closed) return;
      this.#watcher = undefined;
      void watcher.cancel().catch(() => undefined);
      this.#resyncUntilDone(error);
    });
  }

  #resyncUntilDone(cause: Error): void {
    if (this.#closed) return;
    this.#resync().catch((error: unknown) => {
      this.warn(
        `etcd watch of ${this.prefix} (${cause.message}): re-read failed, retrying: ${error instanceof Error ? error.message : String(error)}`,
      );
      setTimeout(() => this.#resyncUntilDone(cause), 200).unref();
    });
  }

  #apply(change: MirrorChange): void {
    if (change.type === 'put') this.#entries.set(change.key, change.value);
    else this.#entries.delete(change.key);
  }

  #emit(changes: MirrorChange[]): void {
    if (changes.length === 0 || this.#closed) return;
    try {
      this.listener(changes);
    } catch (error) {
      this.warn(`etcd watch of ${this.prefix}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  #key(kv: IKeyValue): string {
    return kv.key.toString().slice(this.prefix.length);
  }
}
