// The controller's RecordStore in LMDB (in the data directory): networks, endpoints, sandboxes
// and link ownership, plus the drivers' key/value spaces (the driver runtime's StoreBackend).
//
// Every write is a synchronous LMDB transaction, committed before the call returns, opened with
// noSync: a killed process loses nothing (the kernel still writes the pages; crash.test.ts checks
// it), only a power loss can lose the last commits, and the namespaces they describe go with it.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { EndpointRecord, LinkRecord, NetworkRecord, SandboxRecord } from '../controller/model.js';
import type { RecordStore, RecordTable } from '../controller/record-store.js';
import type { StoreBackend, StoreWrite } from '../drivers/index.js';

class Table<T> implements RecordTable<T> {
  constructor(private readonly db: Database<T, string>) {}

  all(): T[] {
    return [...this.db.getRange({})].map((entry) => entry.value);
  }

  put(key: string, value: T): void {
    this.db.putSync(key, value);
  }

  delete(key: string): void {
    this.db.removeSync(key);
  }
}

/** Keys grouped by one field of their rows. */
class KeyIndex {
  readonly #groups = new Map<string, Set<string>>();

  keys(group: string | undefined): string[] {
    return group === undefined ? [] : [...(this.#groups.get(group) ?? [])];
  }

  add(group: string | undefined, key: string): void {
    if (group === undefined) return;
    let keys = this.#groups.get(group);
    if (keys === undefined) {
      keys = new Set();
      this.#groups.set(group, keys);
    }
    keys.add(key);
  }

  remove(group: string | undefined, key: string): void {
    if (group === undefined) return;
    const keys = this.#groups.get(group);
    keys?.delete(key);
    if (keys?.size === 0) this.#groups.delete(group);
  }
}

/**
 * The link ownership rows, mirrored in memory and indexed by namespace and by the operation that
 * made them: a sandbox's rows, or a join's, are found without reading every row (there are two
 * per joined endpoint).
 */
class LinkTable {
  readonly #rows = new Map<string, LinkRecord>();
  readonly #byNs = new KeyIndex();
  readonly #byOperation = new KeyIndex();

  constructor(private readonly db: Database<LinkRecord, string>) {
    for (const { key, value } of db.getRange({})) this.#index(key, value);
  }

  all(): LinkRecord[] {
    return [...this.#rows.values()];
  }

  get(link: Pick<LinkRecord, 'ns' | 'name'>): LinkRecord | undefined {
    return this.#rows.get(linkKey(link));
  }

  /** The rows of one namespace ("host" or "sandbox:" + key). */
  in(ns: string): LinkRecord[] {
    return this.#byNs.keys(ns).map((key) => this.#rows.get(key) as LinkRecord);
  }

  /** The rows of the links an operation created ("net:<id>", "join:<endpoint id>"). */
  madeBy(operation: string): LinkRecord[] {
    return this.#byOperation.keys(operation).map((key) => this.#rows.get(key) as LinkRecord);
  }

  put(link: LinkRecord): void {
    const key = linkKey(link);
    this.db.putSync(key, link);
    this.#unindex(key);
    this.#index(key, link);
  }

  delete(link: Pick<LinkRecord, 'ns' | 'name'>): void {
    const key = linkKey(link);
    if (!this.#rows.has(key)) return;
    this.db.removeSync(key);
    this.#unindex(key);
  }

  #index(key: string, link: LinkRecord): void {
    this.#rows.set(key, link);
    this.#byNs.add(link.ns, key);
    this.#byOperation.add(link.operation, key);
  }

  #unindex(key: string): void {
    const link = this.#rows.get(key);
    if (link === undefined) return;
    this.#rows.delete(key);
    this.#byNs.remove(link.ns, key);
    this.#byOperation.remove(link.operation, key);
  }
}

export class ControllerStore implements RecordStore, StoreBackend {
  readonly networks: Table<NetworkRecord>;
  readonly endpoints: Table<EndpointRecord>;
  readonly sandboxes: Table<SandboxRecord>;
  readonly links: LinkTable;
  readonly #driverData: Database<Uint8Array, string>;

  private constructor(private readonly root: RootDatabase) {
    this.networks = new Table(root.openDB({ name: 'networks' }));
    this.endpoints = new Table(root.openDB({ name: 'endpoints' }));
    this.sandboxes = new Table(root.openDB({ name: 'sandboxes' }));
    this.links = new LinkTable(root.openDB({ name: 'links' }));
    this.#driverData = root.openDB({ name: 'driver-stores', encoding: 'binary' });
  }

  static open(dataDir: string): ControllerStore {
    mkdirSync(dataDir, { recursive: true });
    return new ControllerStore(open({ path: join(dataDir, 'wasmnet.lmdb'), compression: false, noSync: true }));
  }

  /** Runs `writes` (synchronous puts and deletes) in one transaction. */
  batch<T>(writes: () => T): T {
    return this.root.transactionSync(writes);
  }

  /** StoreBackend: a driver owner's key/value space. */
  entries(owner: string): Array<[string, Uint8Array]> {
    const prefix = ownerPrefix(owner);
    // "0" follows "/": the range holds exactly the keys under this owner's prefix.
    const range = this.#driverData.getRange({ start: prefix, end: `${prefix.slice(0, -1)}0` });
    return [...range].map(({ key, value }) => [key.slice(prefix.length), new Uint8Array(value)]);
  }

  apply(owner: string, writes: readonly StoreWrite[]): void {
    const prefix = ownerPrefix(owner);
    this.root.transactionSync(() => {
      for (const [key, value] of writes) {
        if (value === null) this.#driverData.removeSync(prefix + key);
        else this.#driverData.putSync(prefix + key, value);
      }
    });
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}

// Keys avoid NUL: lmdb's ordered-binary key encoding reads it as an array separator.
function ownerPrefix(owner: string): string {
  return `${encodeURIComponent(owner)}/`;
}

function linkKey(link: Pick<LinkRecord, 'ns' | 'name'>): string {
  return JSON.stringify([link.ns, link.name]);
}
