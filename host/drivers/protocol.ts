// Messages between the main thread and a driver worker. Raw postMessage (no comlink): the
// per-call budget is 50 µs and comlink adds ~50% to the 31 µs round trip (DESIGN.md), and the
// typed guest error travels here as plain data ({kind, message}) without a transfer handler.
import type { WorldName } from '../wit/contract.js';
import type { WireError } from './errors.js';
import type { StoreWrite } from './store.js';
import type { StoreQuota } from './store-quota.js';
import type { LogLimits } from './log-limit.js';
import type { CoreModule } from './wasm.js';

export interface WorkerInit {
  jsPath: string;
  modules: Record<string, CoreModule>;
  world: WorldName;
  /** Shared buffer the worker waits on while the main thread answers a host import. */
  channel: SharedArrayBuffer;
  /** GuestClock's buffer: how long the guest has run in the current call (for its deadline). */
  clock: SharedArrayBuffer;
  store: Array<[string, Uint8Array]>;
  storeQuota: StoreQuota;
  logLimits: LogLimits;
  maxResultBytes: number;
  memoryMaxBytes: number;
}

export interface Registration {
  kind: 'driver' | 'ipam';
  name: string;
  handle: number;
  /** driverapi.Capability or ipamapi.Capability, as the guest passed it. */
  capability: unknown;
}

export interface CallMessage {
  id: number;
  method: string;
  args: unknown[];
}

/**
 * `writes`: the store writes made since the last message that carried them (applied by the host
 * before the call settles; a guest's store reads see them at once). A fatal result carries none:
 * the instance is replaced and its replacement gets the host's copy.
 */
export type FromWorker =
  | { type: 'ready'; registrations: Registration[]; writes: StoreWrite[] }
  | { type: 'init-failed'; error: WireError }
  | { type: 'result'; id: number; ok: true; value: unknown; writes: StoreWrite[] }
  | { type: 'result'; id: number; ok: false; error: WireError; fatal: false; writes: StoreWrite[] }
  | { type: 'result'; id: number; ok: false; error: WireError; fatal: true }
  | { type: 'host'; op: string; args: unknown[] }
  | { type: 'log'; level: string; message: string }
  /** Log lines the worker dropped (LogLimiter) during the call whose result follows. */
  | { type: 'log-dropped'; count: number };
