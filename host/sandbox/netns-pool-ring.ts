// The ring NetnsPool and its worker share: Int32 counters HEAD (taken by the main thread) and
// TAIL (made by the worker), then `size` slots of [namespace fd, rtnetlink socket fd, DNS UDP
// socket fd, DNS TCP socket fd] (the DNS ones -1 when the pool makes none).
// One producer, one consumer: a slot is written only while free and read before HEAD moves.
import type { WorkerError } from './worker-errors.js';

export const HEAD = 0;
export const TAIL = 1;
const SLOT_INTS = 4;

export function ringBytes(size: number): number {
  return Int32Array.BYTES_PER_ELEMENT * (2 + SLOT_INTS * size);
}

/** Index of the first int of the slot of spare number `n`. */
export function slot(n: number, size: number): number {
  return 2 + SLOT_INTS * (n % size);
}

export interface PoolData {
  ring: SharedArrayBuffer;
  size: number;
  /** Where each spare gets a DNS server's UDP and TCP sockets bound (none when absent). */
  dns?: { address: string; port: number };
}

export type PoolRequest = { type: 'delete'; id: number; path: string } | { type: 'refill' } | { type: 'close' };

export type PoolReply =
  | { type: 'deleted'; id: number; error?: WorkerError }
  | { type: 'failed'; error: WorkerError }
  | { type: 'closed' };
