// The table store's writes to etcd, queued per key and sent in the background: everything
// queued while a transaction is in flight goes in the next one (up to etcd's 128 operations),
// so many joins cost one round trip and one fsync. A key queued twice is written once, with
// its last value. A put is attached to its writer's lease; a delete happens only while the
// entry is still the one its writer wrote (a compare on its value). Failures are retried.
import type { Etcd3, Lease } from 'etcd3';
import type { ICompare, IRequestOp } from 'etcd3/lib/rpc.js';

/** etcd's default --max-txn-ops. */
const MAX_OPS = 128;
const RETRY_MS = 200;
const SENDERS = 4;

interface Write {
  host: string;
  /** The value to put, or undefined to delete. */
  value: Buffer | undefined;
}

export class BatchedWrites {
  readonly #queued = new Map<string, Write>();
  /** What this process last put under each key (a delete compares against it). */
  readonly #written = new Map<string, Buffer>();
  /** Keys of the transactions in flight: a key is in one at a time, so its writes stay in order. */
  readonly #inFlight = new Set<string>();
  readonly #senders = new Set<Promise<void>>();
  #closed = false;

  constructor(
    private readonly client: Etcd3,
    private readonly leaseOf: (host: string) => Lease,
    private readonly warn: (message: string) => void,
  ) {}

  queue(key: string, write: Write): void {
    // Re-inserted: a key's writes stay in the order they were queued relative to other keys.
    this.#queued.delete(key);
    this.#queued.set(key, write);
    this.#startSenders();
  }

  async flushed(): Promise<void> {
    while (this.#senders.size > 0) await Promise.all(this.#senders);
  }

  /** Writes what is queued, giving up after `graceMs` (etcd gone): the leases clean up. */
  async close(graceMs = 3_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flushed(), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    this.#closed = true;
  }

  /**
   * Up to SENDERS transactions in flight: etcd commits those that arrive together in one raft
   * entry and one fsync, so throughput grows with them while the disk is the limit.
   */
  #startSenders(): void {
    while (this.#senders.size < SENDERS && this.#sendable() > 0) {
      const sender: Promise<void> = this.#drain().finally(() => {
        this.#senders.delete(sender);
        if (!this.#closed) this.#startSenders();
      });
      this.#senders.add(sender);
    }
  }

  #sendable(): number {
    let count = 0;
    for (const key of this.#queued.keys()) if (!this.#inFlight.has(key)) count++;
    return count;
  }

  async #drain(): Promise<void> {
    while (!this.#closed) {
      const batch: Array<[string, Write]> = [];
      for (const entry of this.#queued) {
        if (this.#inFlight.has(entry[0])) continue;
        batch.push(entry);
        if (batch.length === MAX_OPS) break;
      }
      if (batch.length === 0) return;
      for (const [key] of batch) {
        this.#queued.delete(key);
        this.#inFlight.add(key);
      }
      try {
        await this.#send(batch);
      } catch (error) {
        this.warn(`cluster: table writes failed, retrying: ${error instanceof Error ? error.message : String(error)}`);
        // Back in the queue unless written again meanwhile.
        for (const [key, write] of batch) if (!this.#queued.has(key)) this.#queued.set(key, write);
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      } finally {
        for (const [key] of batch) this.#inFlight.delete(key);
      }
    }
  }

  async #send(batch: Array<[string, Write]>): Promise<void> {
    const ops: IRequestOp[] = [];
    const compare: ICompare[] = [];
    for (const [key, write] of batch) {
      if (write.value !== undefined) {
        const lease = await this.leaseOf(write.host).grant();
        ops.push({ request_put: { key: Buffer.from(key), value: write.value, lease } });
        continue;
      }
      const written = this.#written.get(key);
      if (written === undefined) continue; // never reached etcd
      ops.push({ request_delete_range: { key: Buffer.from(key) } });
      compare.push({ key: Buffer.from(key), target: 'Value', result: 'Equal', value: written });
    }
    if (ops.length > 0) {
      const response = await this.client.kv.txn({ compare, success: ops });
      // A delete whose entry another host took: the puts and the other deletes go alone.
      if (!response.succeeded) await this.#sendOneByOne(ops, compare);
    }
    for (const [key, write] of batch) {
      if (write.value === undefined) this.#written.delete(key);
      else this.#written.set(key, write.value);
    }
  }

  async #sendOneByOne(ops: IRequestOp[], compare: ICompare[]): Promise<void> {
    const puts = ops.filter((op) => op.request_put !== undefined);
    if (puts.length > 0) await this.client.kv.txn({ success: puts });
    for (const check of compare)
      await this.client.kv.txn({ compare: [check], success: [{ request_delete_range: { key: check.key as Buffer } }] });
  }
}
