// Link deletions off the main thread: a deletion mostly waits in the kernel, so a few worker
// threads overlap them and the event loop never blocks.
import { Worker } from 'node:worker_threads';
import { checkLinkName } from '../netlink/validate.js';
import type { DeleteJob, DeleteResult } from './deleter-worker.js';
import { fromWorkerError } from './worker-errors.js';

interface Slot {
  worker: Worker;
  pending: number;
}

export class LinkDeleter {
  private readonly slots: Slot[] = [];
  private readonly waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private nextId = 1;
  /** Deletions nobody waits for (deleteLater): close() lets them finish. */
  private readonly background = new Set<Promise<void>>();

  /** `threads`: how many deletions overlap. Workers start on first use. */
  constructor(private readonly threads = 4) {}

  /** Deletes link `name` in the namespace at `path` (null: the process's own namespace). */
  delete(path: string | null, name: string): Promise<void> {
    checkLinkName(name);
    const slot = this.pick();
    const id = this.nextId++;
    const job: DeleteJob = { id, path, name };
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      if (slot.pending++ === 0) slot.worker.ref();
      slot.worker.postMessage(job);
    });
  }

  /**
   * Deletes without making the caller wait for the kernel. A failure is dropped: the namespace
   * may go first, and the link with it.
   */
  deleteLater(path: string | null, name: string): void {
    const deletion = this.delete(path, name)
      .catch(() => undefined)
      .finally(() => this.background.delete(deletion));
    this.background.add(deletion);
  }

  /** Resolves once the background deletions started so far are done. */
  async idle(): Promise<void> {
    await Promise.all(this.background);
  }

  /** Stops the workers once the background deletions are done (other pending ones are rejected). */
  async close(): Promise<void> {
    await this.idle();
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
    for (const [id, waiter] of this.waiting) {
      this.waiting.delete(id);
      waiter.reject(new Error('link deleter closed'));
    }
  }

  private pick(): Slot {
    const idle = this.slots.find((slot) => slot.pending === 0);
    if (idle) return idle;
    if (this.slots.length < this.threads) return this.spawn();
    return this.slots.reduce((best, slot) => (slot.pending < best.pending ? slot : best));
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./deleter-worker.js', import.meta.url));
    const slot: Slot = { worker, pending: 0 };
    worker.unref();
    worker.on('message', (result: DeleteResult) => {
      if (--slot.pending === 0) worker.unref();
      const waiter = this.waiting.get(result.id);
      this.waiting.delete(result.id);
      if (!waiter) return;
      if (result.error === undefined) waiter.resolve();
      else waiter.reject(fromWorkerError(result.error));
    });
    // A dead worker fails every pending deletion (jobs are not tracked per worker) and is dropped.
    worker.on('error', (error) => {
      this.slots.splice(this.slots.indexOf(slot), 1);
      for (const [id, waiter] of this.waiting) {
        this.waiting.delete(id);
        waiter.reject(error);
      }
    });
    this.slots.push(slot);
    return slot;
  }
}
