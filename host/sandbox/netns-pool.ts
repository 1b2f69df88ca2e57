// Sandbox namespaces made ahead of time. Creating a network namespace (unshare, sysctls, lo up)
// is most of a sandbox's setup cost; a worker thread does it in advance and leaves the ready
// namespaces, held by fds only, in a shared ring. Taking one is synchronous and needs no event
// loop turn: bind it to its file and adopt its socket. Deleting a namespace file (umount, which
// waits for RCU) also happens on the worker. Spares are fds only, so they vanish with the
// process even if close() is never called.
import { closeSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { closeServerSockets, type ServerSockets } from '../dns/sockets.js';
import { sys } from '../netlink/libc.js';
import { bindNetns, deleteNetns, type Netns } from '../netlink/netns.js';
import { checkNetnsName } from '../netlink/validate.js';
import { HEAD, type PoolData, type PoolReply, type PoolRequest, ringBytes, slot, TAIL } from './netns-pool-ring.js';
import { fromWorkerError } from './worker-errors.js';

/** A namespace taken from the pool, and the DNS server sockets inside it when asked for. */
export interface PooledNetns {
  netns: Netns;
  dns: ServerSockets | undefined;
}

export interface NetnsPoolOptions {
  /**
   * Bind a DNS server's UDP and TCP sockets to `address`:`port` in every spare (the embedded
   * DNS's, which then only wraps them): a take that does not want them closes them.
   */
  dns?: { address: string; port: number };
}

export class NetnsPool {
  readonly #ring: Int32Array;
  readonly #worker: Worker;
  readonly #waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  readonly #deleting = new Set<Promise<void>>();
  #nextId = 1;
  #closing: Promise<void> | undefined;
  /** Set when the worker could not create a namespace: takes return undefined from then on. */
  #failure: Error | undefined;
  /** Set when the worker died. */
  #dead: Error | undefined;
  #onClosed: (() => void) | undefined;

  /**
   * Below this many ready namespaces a take asks for a refill. Above it, refills follow
   * deletions instead: creating a namespace is kernel work that does not yield the CPU, and
   * done while a sandbox is set up it delays that setup's next driver call.
   */
  readonly #lowWater: number;

  /** `size`: how many ready namespaces (IPv6 off, lo up) are kept. */
  constructor(
    readonly size = 8,
    options: NetnsPoolOptions = {},
  ) {
    this.#lowWater = Math.floor(size / 4);
    const data: PoolData = {
      ring: new SharedArrayBuffer(ringBytes(size)),
      size,
      ...(options.dns === undefined ? {} : { dns: options.dns }),
    };
    this.#ring = new Int32Array(data.ring);
    // The worker's fds are the process's: its spares must survive it (and the main thread owns
    // the ones it took), so Node must not close them when it exits.
    this.#worker = new Worker(new URL('./netns-pool-worker.js', import.meta.url), {
      workerData: data,
      trackUnmanagedFds: false,
    });
    this.#worker.on('message', (message: PoolReply) => this.#receive(message));
    this.#worker.on('error', (error) => {
      this.#dead = error;
      this.#onClosed?.();
      for (const [id, waiter] of this.#waiting) {
        this.#waiting.delete(id);
        waiter.reject(error);
      }
    });
    // After the listeners: adding a 'message' listener refs the worker again.
    this.#worker.unref();
  }

  /** Why the pool stopped making namespaces, if it did (takes then return undefined). */
  get failure(): Error | undefined {
    return this.#dead ?? this.#failure;
  }

  /** How many namespaces are ready now. */
  get ready(): number {
    return Atomics.load(this.#ring, TAIL) - Atomics.load(this.#ring, HEAD);
  }

  /**
   * A ready namespace (IPv6 off, lo up) bound to `dir/name`, or undefined when none is ready
   * (the caller then creates one itself). Its DNS sockets (if the pool makes them) are the
   * caller's when `dns` is set, else closed here: a sandbox without the embedded DNS has none.
   */
  take(dir: string, name: string, dns = false): PooledNetns | undefined {
    checkNetnsName(name); // before a spare is used up
    if (this.#closing || this.failure) return undefined;
    const head = Atomics.load(this.#ring, HEAD);
    const tail = Atomics.load(this.#ring, TAIL);
    if (head === tail) return undefined;
    const at = slot(head, this.size);
    const spare = { fd: this.#ring[at] as number, socketFd: this.#ring[at + 1] as number };
    const udp = this.#ring[at + 2] as number;
    const sockets = udp < 0 ? undefined : { udp, tcp: this.#ring[at + 3] as number };
    Atomics.store(this.#ring, HEAD, head + 1);
    if (sockets && !dns) closeServerSockets(sockets);
    // The worker refills after each deletion (see #ask); a take wakes it only when few are left.
    if (tail - head - 1 <= this.#lowWater) this.#worker.postMessage({ type: 'refill' } satisfies PoolRequest);
    try {
      return { netns: bindNetns(dir, name, spare), dns: dns ? sockets : undefined };
    } catch (error) {
      closeSync(spare.fd);
      sys.close(spare.socketFd);
      if (sockets && dns) closeServerSockets(sockets);
      throw error;
    }
  }

  /** Deletes a namespace: its handle closes now, its file is unmounted and removed on the
   * worker (here, once the pool is closed), which then makes a spare in its place. */
  delete(netns: Netns): Promise<void> {
    if (this.#closing || this.#dead || netns.path === null) {
      try {
        deleteNetns(netns);
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    }
    netns.close();
    return this.#ask(netns.path);
  }

  /** Deletes the spares and stops the worker (after the deletions already asked for). */
  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    await Promise.allSettled(this.#deleting);
    if (this.#dead === undefined) {
      const closed = new Promise<void>((resolve) => {
        this.#onClosed = resolve;
      });
      this.#worker.ref();
      this.#worker.postMessage({ type: 'close' } satisfies PoolRequest);
      await closed;
    }
    await this.#worker.terminate();
  }

  #ask(path: string): Promise<void> {
    const id = this.#nextId++;
    const deleting = new Promise<void>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      if (this.#waiting.size === 1) this.#worker.ref();
      this.#worker.postMessage({ type: 'delete', id, path } satisfies PoolRequest);
    });
    this.#deleting.add(deleting);
    const forget = (): void => void this.#deleting.delete(deleting);
    deleting.then(forget, forget);
    return deleting;
  }

  #receive(message: PoolReply): void {
    if (message.type === 'closed') {
      this.#onClosed?.();
      return;
    }
    if (message.type === 'failed') {
      // Takes fall back to creating namespaces on the caller's thread; deletions still work.
      this.#failure = fromWorkerError(message.error);
      return;
    }
    const waiter = this.#waiting.get(message.id);
    this.#waiting.delete(message.id);
    if (this.#waiting.size === 0) this.#worker.unref();
    if (!waiter) return;
    if (message.error === undefined) waiter.resolve();
    else waiter.reject(fromWorkerError(message.error));
  }
}
