// The `store` import's backing: a key/value space per driver owner, so a restarted or upgraded
// instance finds its state again. A call's writes arrive with its result, applied together.
// The controller may back it with LMDB; these two serve tests and a plain data directory.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type StoreQuota, StoreQuotaExceeded, StoreUsage } from './store-quota.js';

/** A key set to a value, or deleted (null). */
export type StoreWrite = [key: string, value: Uint8Array | null];

export interface StoreBackend {
  entries(owner: string): Array<[string, Uint8Array]>;
  /** Applies one call's writes, in order, all or none where the backend can. */
  apply(owner: string, writes: readonly StoreWrite[]): void;
}

export class MemoryStore implements StoreBackend {
  protected readonly spaces = new Map<string, Map<string, Uint8Array>>();

  entries(owner: string): Array<[string, Uint8Array]> {
    return [...this.space(owner)].map(([key, value]) => [key, value.slice()]);
  }

  apply(owner: string, writes: readonly StoreWrite[]): void {
    const space = this.space(owner);
    for (const [key, value] of writes) {
      if (value === null) space.delete(key);
      else space.set(key, value.slice());
    }
  }

  protected space(owner: string): Map<string, Uint8Array> {
    let space = this.spaces.get(owner);
    if (space === undefined) {
      space = new Map();
      this.spaces.set(owner, space);
    }
    return space;
  }
}

/** One JSON file per owner, replaced atomically on every write. */
export class FileStore extends MemoryStore {
  constructor(private readonly dir: string) {
    super();
    mkdirSync(dir, { recursive: true });
  }

  override apply(owner: string, writes: readonly StoreWrite[]): void {
    super.apply(owner, writes);
    this.#flush(owner);
  }

  protected override space(owner: string): Map<string, Uint8Array> {
    if (!this.spaces.has(owner)) this.spaces.set(owner, this.#read(owner));
    return super.space(owner);
  }

  #file(owner: string): string {
    return join(this.dir, `${encodeURIComponent(owner)}.json`);
  }

  #read(owner: string): Map<string, Uint8Array> {
    try {
      const saved = JSON.parse(readFileSync(this.#file(owner), 'utf8')) as Record<string, string>;
      return new Map(Object.entries(saved).map(([key, value]) => [key, new Uint8Array(Buffer.from(value, 'base64'))]));
    } catch {
      return new Map();
    }
  }

  #flush(owner: string): void {
    const saved = Object.fromEntries(
      [...super.space(owner)].map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
    );
    const file = this.#file(owner);
    writeFileSync(`${file}.tmp`, JSON.stringify(saved));
    renameSync(`${file}.tmp`, file);
  }
}

/**
 * The host's check of the quota (store-quota.ts) over a backend: a call's writes past it are
 * refused whole (the worker that sent them is not trusted: the instance is replaced), and a
 * store already over its quota (written before the quota, or by a quota since lowered) is
 * handed to no instance.
 */
export class QuotaStore implements StoreBackend {
  readonly #usage = new Map<string, StoreUsage>();

  constructor(
    private readonly backend: StoreBackend,
    private readonly quotaOf: (owner: string) => StoreQuota,
  ) {}

  entries(owner: string): Array<[string, Uint8Array]> {
    const entries = this.backend.entries(owner);
    const usage = new StoreUsage(this.quotaOf(owner), entries);
    const over = usage.overTotal();
    if (over !== undefined) throw new StoreQuotaExceeded(owner, `${over}; raise the owner's store quota to start it`);
    this.#usage.set(owner, usage);
    return entries;
  }

  apply(owner: string, writes: readonly StoreWrite[]): void {
    const usage = this.#usage.get(owner) ?? new StoreUsage(this.quotaOf(owner), this.backend.entries(owner));
    this.#usage.delete(owner);
    for (const write of writes) {
      const refusal = usage.refusal(write);
      if (refusal !== undefined) throw new StoreQuotaExceeded(owner, refusal);
      usage.apply(write);
    }
    this.backend.apply(owner, writes);
    usage.endCall();
    this.#usage.set(owner, usage);
  }
}
