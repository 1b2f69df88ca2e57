// What the model persists, and how it reads it back at start: its records (networks, endpoints,
// sandboxes) and the link ownership rows. A write is durable when the call returns.
// ControllerStore (host/wiring/lmdb-store.ts) keeps them in LMDB.
import type { EndpointRecord, LinkRecord, NetworkRecord, SandboxRecord } from './model.js';

export interface RecordTable<T> {
  all(): T[];
  put(key: string, value: T): void;
  delete(key: string): void;
}

export interface LinkRows {
  all(): LinkRecord[];
  delete(link: Pick<LinkRecord, 'ns' | 'name'>): void;
}

export interface RecordStore {
  readonly networks: RecordTable<NetworkRecord>;
  readonly endpoints: RecordTable<EndpointRecord>;
  readonly sandboxes: RecordTable<SandboxRecord>;
  readonly links: LinkRows;
  /** Runs `writes` (synchronous puts and deletes) as one atomic write. */
  batch<T>(writes: () => T): T;
  close(): Promise<void>;
}
