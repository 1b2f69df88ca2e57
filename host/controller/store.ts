// The controller's embedded store (LMDB in the data directory): networks, endpoints, sandboxes,
// the drivers' key/value spaces (the runtime's StoreBackend) and link ownership.
//
// Every write is a synchronous LMDB transaction, committed before the call returns, and opened
// with noSync: a commit reaches the page cache but is not fsync'ed. A process killed at any
// moment (SIGKILL, a crash) loses nothing — the kernel still writes the pages, and
// test/controller/crash.test.ts kills a workload 50 times and checks recovery — only a power
// loss or kernel crash can lose the last commits, after which the namespaces and links they
// describe are gone too (they do not survive a reboot). `batch` groups one operation's writes
// into one transaction.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { StoreBackend } from '../drivers/index.js';
import type { EndpointRecord, LinkRecord, NetworkRecord, SandboxRecord } from './model.js';

class Table<T> {
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

/**
 * The link ownership rows, mirrored in memory and indexed by namespace: the rows of one sandbox
 * are found without reading every row (there are two per joined endpoint).
 */
class LinkTable {
  readonly #rows = new Map<string, LinkRecord>();
  readonly #byNs = new Map<string, Set<string>>();

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
    return [...this.#byNs.get(ns) ?? []].map((key) => this.#rows.get(key) as LinkRecord);
  }

  put(link: LinkRecord): void {
    const key = linkKey(link);
    this.db.putSync(key, link);
    this.#index(key, link);
  }

  delete(link: Pick<LinkRecord, 'ns' | 'name'>): void {
    const key = linkKey(link);
    if (!this.#rows.has(key)) return;
    this.db.removeSync(key);
    this.#rows.delete(key);
    const keys = this.#byNs.get(link.ns);
    keys?.delete(key);
    if (keys?.size === 0) this.#byNs.delete(link.ns);
  }

  #index(key: string, link: LinkRecord): void {
    this.#rows.set(key, link);
    let keys = this.#byNs.get(link.ns);
    if (keys === undefined) this.#byNs.set(link.ns, (keys = new Set()));
    keys.add(key);
  }
}

export class ControllerStore implements StoreBackend {
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

  set(owner: string, key: string, value: Uint8Array): void {
    this.#driverData.putSync(ownerPrefix(owner) + key, value);
  }

  delete(owner: string, key: string): void {
    this.#driverData.removeSync(ownerPrefix(owner) + key);
  }

  /** Records a link a driver created (the ownership registry's row), durably before returning. */
  putLinkSync(link: LinkRecord): void {
    this.links.put(link);
  }

  deleteLinkSync(link: Pick<LinkRecord, 'ns' | 'name'>): void {
    this.links.delete(link);
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
