// Table events on etcd, with the in-process store's semantics (host/controller/tables.ts):
// an entry is owned by the host that wrote it and attached to that host's lease (a dead host's
// entries expire with it, and the others get delete events); a subscriber first gets the
// entries of other hosts as creates, then every change of other hosts' entries, once and in
// order, never its own. One mirror per table, shared by the subscribers of this process (the
// hosts of a bench, or the one node of a daemon): read, then watch from the next revision.
//   tables/NETWORK/TABLE/KEY  →  HOST \0 VALUE
import type { Etcd3, Lease } from 'etcd3';
import type { EventType } from '../controller/driver-api.js';
import type { TableEvent, TableListener, TableStore, TableSubscription } from '../controller/index.js';
import { type MirrorChange, PrefixMirror } from './prefix-mirror.js';
import { SerialDelivery } from './serial-delivery.js';

interface Subscriber {
  host: string;
  listener: TableListener;
  delivery: SerialDelivery;
}

interface TableMirror {
  mirror: PrefixMirror;
  subscribers: Set<Subscriber>;
}

export class EtcdTableStore implements TableStore {
  readonly #tables = new Map<string, Promise<TableMirror>>();
  /** What each host wrote, to write it again under a new lease. */
  readonly #own = new Map<string, Map<string, Buffer>>();

  constructor(
    private readonly client: Etcd3,
    private readonly options: {
      prefix: string;
      /** The lease a host's entries are attached to. */
      leaseOf: (host: string) => Lease;
      warn: (message: string) => void;
    },
  ) {}

  async subscribe(
    host: string,
    networkId: string,
    tableName: string,
    listener: TableListener,
  ): Promise<TableSubscription> {
    const tablePrefix = this.#tablePrefix(networkId, tableName);
    const table = await this.#table(tablePrefix, networkId, tableName);
    const subscriber: Subscriber = { host, listener, delivery: new SerialDelivery(this.options.warn) };
    table.subscribers.add(subscriber);
    // Added and read in the same turn: every later change reaches it through the mirror.
    const existing: TableEvent[] = [];
    for (const [key, stored] of table.mirror.entries()) {
      const entry = decode(stored);
      if (entry.host !== host)
        existing.push({ type: 'create', networkId, tableName, key: decodeURIComponent(key), value: entry.value });
    }
    await Promise.all(existing.map((event) => subscriber.delivery.push(() => listener(event))));
    return {
      unsubscribe: () => {
        table.subscribers.delete(subscriber);
        if (table.subscribers.size === 0 && this.#tables.get(tablePrefix) !== undefined) {
          this.#tables.delete(tablePrefix);
          void table.mirror.close();
        }
      },
    };
  }

  async put(host: string, networkId: string, tableName: string, key: string, value: Uint8Array): Promise<void> {
    const etcdKey = this.#tablePrefix(networkId, tableName) + encodeURIComponent(key);
    const stored = encode(host, value);
    this.#ownOf(host).set(etcdKey, stored);
    await this.options.leaseOf(host).put(etcdKey).value(stored).exec();
  }

  async delete(host: string, networkId: string, tableName: string, key: string): Promise<void> {
    const etcdKey = this.#tablePrefix(networkId, tableName) + encodeURIComponent(key);
    const stored = this.#own.get(host)?.get(etcdKey);
    if (stored === undefined) return;
    this.#own.get(host)?.delete(etcdKey);
    // Only while it is still this host's entry, as this host wrote it.
    await this.client.if(etcdKey, 'Value', '==', stored).then(this.client.delete().key(etcdKey)).commit();
  }

  /** Writes `host`'s entries again (under its new lease, after the old one was lost). */
  async rewrite(host: string): Promise<void> {
    const lease = this.options.leaseOf(host);
    for (const [etcdKey, stored] of this.#own.get(host) ?? []) await lease.put(etcdKey).value(stored).exec();
  }

  /** Stops every watch. */
  async close(): Promise<void> {
    const tables = [...this.#tables.values()];
    this.#tables.clear();
    await Promise.all(tables.map(async (table) => (await table).mirror.close()));
  }

  #ownOf(host: string): Map<string, Buffer> {
    let own = this.#own.get(host);
    if (own === undefined) {
      own = new Map();
      this.#own.set(host, own);
    }
    return own;
  }

  #table(tablePrefix: string, networkId: string, tableName: string): Promise<TableMirror> {
    let table = this.#tables.get(tablePrefix);
    if (table === undefined) {
      const subscribers = new Set<Subscriber>();
      table = PrefixMirror.start(
        this.client,
        tablePrefix,
        (changes) => deliver(subscribers, networkId, tableName, changes),
        this.options.warn,
      ).then((mirror) => ({ mirror, subscribers }));
      this.#tables.set(tablePrefix, table);
      table.catch(() => this.#tables.delete(tablePrefix));
    }
    return table;
  }

  #tablePrefix(networkId: string, tableName: string): string {
    return `${this.options.prefix}tables/${encodeURIComponent(networkId)}/${encodeURIComponent(tableName)}/`;
  }
}

/** Each change, as the event the subscribers of other hosts get. */
function deliver(subscribers: Set<Subscriber>, networkId: string, tableName: string, changes: MirrorChange[]): void {
  for (const change of changes) {
    const key = decodeURIComponent(change.key);
    const previous = change.previous === undefined ? undefined : decode(change.previous);
    let writer: string;
    let type: EventType;
    let value: Uint8Array;
    if (change.type === 'put') {
      const entry = decode(change.value);
      writer = entry.host;
      value = entry.value;
      // Written again by its owner: an update; by another host (or new): a create.
      type = previous?.host === entry.host ? 'update' : 'create';
    } else {
      writer = (previous as { host: string }).host;
      value = (previous as { value: Uint8Array }).value;
      type = 'delete';
    }
    for (const subscriber of subscribers) {
      if (subscriber.host === writer) continue;
      const event: TableEvent = { type, networkId, tableName, key, value: value.slice() };
      void subscriber.delivery.push(() => subscriber.listener(event));
    }
  }
}

function encode(host: string, value: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(host), Buffer.from([0]), value]);
}

function decode(stored: Buffer): { host: string; value: Uint8Array } {
  const split = stored.indexOf(0);
  return {
    host: stored.subarray(0, split).toString(),
    value: new Uint8Array(stored.subarray(split + 1)),
  };
}
