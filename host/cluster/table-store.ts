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
import { InvalidParameterError } from '../controller/errors.js';
import { excerpt } from '../excerpt.js';
import { BatchedWrites } from './batched-writes.js';
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
  readonly #writes: BatchedWrites;

  constructor(
    private readonly client: Etcd3,
    private readonly options: {
      prefix: string;
      /** The lease a host's entries are attached to. */
      leaseOf: (host: string) => Lease;
      warn: (message: string) => void;
    },
  ) {
    this.#writes = new BatchedWrites(client, options.leaseOf, options.warn);
  }

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

  /**
   * Queues the write and returns: a join does not wait for etcd. The queue is written in the
   * background, in order, batched into transactions (one round trip and one fsync for many
   * joins), and retried while etcd is unreachable.
   */
  async put(host: string, networkId: string, tableName: string, key: string, value: Uint8Array): Promise<void> {
    if (value.length > MAX_VALUE_BYTES || key.length > MAX_KEY_CHARS)
      throw new InvalidParameterError(
        `table entry ${excerpt(tableName)}/${excerpt(key)}: ${key.length}-character key, ${value.length}-byte value (at most ${MAX_KEY_CHARS} and ${MAX_VALUE_BYTES})`,
      );
    const etcdKey = this.#tablePrefix(networkId, tableName) + encodeURIComponent(key);
    const stored = encode(host, value);
    this.#ownOf(host).set(etcdKey, stored);
    this.#writes.queue(etcdKey, { host, value: stored });
  }

  /** Queues the delete of an entry `host` wrote (no-op when it wrote none). */
  async delete(host: string, networkId: string, tableName: string, key: string): Promise<void> {
    const etcdKey = this.#tablePrefix(networkId, tableName) + encodeURIComponent(key);
    if (this.#own.get(host)?.delete(etcdKey) !== true) return;
    this.#writes.queue(etcdKey, { host, value: undefined });
  }

  /** Writes `host`'s entries again (under its new lease, after the old one was lost). */
  async rewrite(host: string): Promise<void> {
    for (const [etcdKey, stored] of this.#own.get(host) ?? []) this.#writes.queue(etcdKey, { host, value: stored });
    await this.flushed();
  }

  /** Resolves once every write queued so far is in etcd. */
  flushed(): Promise<void> {
    return this.#writes.flushed();
  }

  /** Writes what is queued (for at most a few seconds), then stops every watch. */
  async close(): Promise<void> {
    await this.#writes.close();
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
        (changes) => deliver(subscribers, networkId, tableName, changes, this.options.warn),
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

/** A table entry is a peer's address and the like: anything bigger is refused, written or read. */
const MAX_VALUE_BYTES = 16 * 1024;
const MAX_KEY_CHARS = 256;

/**
 * Each change, as the event the subscribers of other hosts get (an oversized one is dropped,
 * warned); one delivery per subscriber for the whole batch, its events in revision order.
 */
function deliver(
  subscribers: Set<Subscriber>,
  networkId: string,
  tableName: string,
  changes: MirrorChange[],
  warn: (message: string) => void,
): void {
  const events: Array<{ writer: string; event: TableEvent }> = [];
  for (const change of changes) {
    const size = change.type === 'put' ? change.value.length : 0;
    if (size > MAX_VALUE_BYTES + 256 || change.key.length > 3 * MAX_KEY_CHARS) {
      warn(`cluster: table ${excerpt(tableName)}: entry ${excerpt(change.key)} of ${size} bytes dropped`);
      continue;
    }
    const key = decodeURIComponent(change.key);
    const previous = change.previous === undefined ? undefined : decode(change.previous);
    if (change.type === 'put') {
      const entry = decode(change.value);
      // Written again by its owner: an update; by another host (or new): a create.
      const type: EventType = previous?.host === entry.host ? 'update' : 'create';
      events.push({ writer: entry.host, event: { type, networkId, tableName, key, value: entry.value } });
    } else if (previous !== undefined) {
      events.push({
        writer: previous.host,
        event: { type: 'delete', networkId, tableName, key, value: previous.value },
      });
    }
  }
  for (const subscriber of subscribers) {
    const mine = events.filter(({ writer }) => writer !== subscriber.host);
    if (mine.length === 0) continue;
    void subscriber.delivery.push(async () => {
      for (const { event } of mine) {
        try {
          await subscriber.listener(event);
        } catch (error) {
          warn(`cluster: table event ${excerpt(event.key)}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    });
  }
}

function encode(host: string, value: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(host), Buffer.from([0]), value]);
}

function decode(stored: Buffer): { host: string; value: Uint8Array } {
  const split = stored.indexOf(0);
  // Not written by a wasmnet node (no host part): nobody's entry.
  if (split < 0) return { host: '', value: new Uint8Array(stored) };
  return { host: stored.subarray(0, split).toString(), value: new Uint8Array(stored.subarray(split + 1)) };
}
