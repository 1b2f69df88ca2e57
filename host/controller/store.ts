// The controller's embedded store (LMDB in the data directory): networks, endpoints, sandboxes,
// the drivers' key/value spaces (the runtime's StoreBackend) and link ownership.
// Model writes are awaited (committed before an operation reports success); driver-store
// writes are synchronous because a guest waits on them.
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

  async put(key: string, value: T): Promise<void> {
    await this.db.put(key, value);
  }

  async delete(key: string): Promise<void> {
    await this.db.remove(key);
  }
}

export class ControllerStore implements StoreBackend {
  readonly networks: Table<NetworkRecord>;
  readonly endpoints: Table<EndpointRecord>;
  readonly sandboxes: Table<SandboxRecord>;
  readonly links: Table<LinkRecord>;
  readonly #driverData: Database<Uint8Array, string>;
  readonly #links: Database<LinkRecord, string>;

  private constructor(private readonly root: RootDatabase) {
    this.networks = new Table(root.openDB({ name: 'networks' }));
    this.endpoints = new Table(root.openDB({ name: 'endpoints' }));
    this.sandboxes = new Table(root.openDB({ name: 'sandboxes' }));
    this.#links = root.openDB({ name: 'links' });
    this.links = new Table(this.#links);
    this.#driverData = root.openDB({ name: 'driver-stores', encoding: 'binary' });
  }

  static open(dataDir: string): ControllerStore {
    mkdirSync(dataDir, { recursive: true });
    return new ControllerStore(open({ path: join(dataDir, 'wasmnet.lmdb'), compression: false }));
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
    this.#links.putSync(linkKey(link), link);
  }

  deleteLinkSync(link: Pick<LinkRecord, 'ns' | 'name'>): void {
    this.#links.removeSync(linkKey(link));
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
