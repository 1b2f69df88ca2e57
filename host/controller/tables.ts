// Table events (networkdb's role before there is a cluster). A driver subscribes to a table of a
// network during CreateNetwork; entries added during Join are written under the writer's host;
// every create/update/delete reaches the subscribers of the OTHER hosts only (a driver learns its
// own entries directly). TableStore is the seam a later etcd backend implements.
import type { EventType } from './driver-api.js';

export interface TableEvent {
  type: EventType;
  networkId: string;
  tableName: string;
  key: string;
  value: Uint8Array;
}

export type TableListener = (event: TableEvent) => Promise<void>;

export interface TableSubscription {
  unsubscribe(): void;
}

export interface TableStore {
  /** Subscribes `host` to the table; existing entries of other hosts arrive as create events. */
  subscribe(host: string, networkId: string, tableName: string, listener: TableListener): Promise<TableSubscription>;
  /** Creates the entry, or updates it when `host` already wrote that key; resolves once delivered (or, on etcd, queued). */
  put(host: string, networkId: string, tableName: string, key: string, value: Uint8Array): Promise<void>;
  /** Deletes an entry `host` wrote (no-op when absent); resolves once delivered (or, on etcd, queued). */
  delete(host: string, networkId: string, tableName: string, key: string): Promise<void>;
}

interface Subscriber {
  host: string;
  listener: TableListener;
}

interface Entry {
  host: string;
  value: Uint8Array;
}

/** One process's table store: share one instance between controllers to make them peers. */
export class InProcessTableStore implements TableStore {
  readonly #subscribers = new Map<string, Set<Subscriber>>();
  readonly #entries = new Map<string, Map<string, Entry>>();

  async subscribe(
    host: string,
    networkId: string,
    tableName: string,
    listener: TableListener,
  ): Promise<TableSubscription> {
    const table = tableKey(networkId, tableName);
    const subscriber: Subscriber = { host, listener };
    let set = this.#subscribers.get(table);
    if (set === undefined) {
      set = new Set();
      this.#subscribers.set(table, set);
    }
    set.add(subscriber);
    const existing = [...(this.#entries.get(table) ?? [])].filter(([, entry]) => entry.host !== host);
    await Promise.allSettled(
      existing.map(([key, entry]) => listener({ type: 'create', networkId, tableName, key, value: entry.value })),
    );
    return {
      unsubscribe: () => {
        set.delete(subscriber);
      },
    };
  }

  async put(host: string, networkId: string, tableName: string, key: string, value: Uint8Array): Promise<void> {
    const table = tableKey(networkId, tableName);
    let entries = this.#entries.get(table);
    if (entries === undefined) {
      entries = new Map();
      this.#entries.set(table, entries);
    }
    const type: EventType = entries.get(key)?.host === host ? 'update' : 'create';
    entries.set(key, { host, value: value.slice() });
    await this.#deliver(host, { type, networkId, tableName, key, value });
  }

  async delete(host: string, networkId: string, tableName: string, key: string): Promise<void> {
    const table = tableKey(networkId, tableName);
    const entry = this.#entries.get(table)?.get(key);
    if (entry === undefined || entry.host !== host) return;
    this.#entries.get(table)?.delete(key);
    await this.#deliver(host, { type: 'delete', networkId, tableName, key, value: entry.value });
  }

  async #deliver(writer: string, event: TableEvent): Promise<void> {
    const subscribers = [...(this.#subscribers.get(tableKey(event.networkId, event.tableName)) ?? [])];
    // A listener's failure is the listener's: the write itself succeeded.
    await Promise.allSettled(
      subscribers.filter((s) => s.host !== writer).map((s) => s.listener({ ...event, value: event.value.slice() })),
    );
  }
}

function tableKey(networkId: string, tableName: string): string {
  return `${networkId}\u0000${tableName}`;
}
