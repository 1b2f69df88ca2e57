// One running instance of a component: a dedicated worker thread, its init, and calls with a
// deadline. A deadline miss terminates the worker (which stops even a runaway guest); a trap
// marks the instance dead. Either way the instance is finished and `dead` says why.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { sys } from '../netlink/libc.js';
import type { CompiledComponent } from './compiler.js';
import { DriverError, fromWire, Internal, type WireError } from './errors.js';
import { GuestClock } from './guest-clock.js';
import { answer, CHANNEL_BYTES, type HostReply } from './host-channel.js';
import type { FromWorker, Registration, WorkerInit } from './protocol.js';
import type { StoreWrite } from './store.js';
import type { StoreQuota } from './store-quota.js';
import { hostLogLimits, LogLimiter, type LogLimits } from './log-limit.js';

/** Answers a guest's host import (register, store, netlink); throws a DriverError to refuse. */
export type HostHandler = (op: string, args: unknown[]) => unknown;
export type LogHandler = (level: string, message: string) => void;
/** Told how many log lines the limits dropped, once per call that dropped some. */
export type LogDroppedHandler = (count: number) => void;

export interface InstanceOptions {
  label: string;
  compiled: CompiledComponent;
  store: Array<[string, Uint8Array]>;
  storeQuota: StoreQuota;
  logLimits: LogLimits;
  deadlineMs: number;
  /** Deadline of instantiate + init (a background-priority thread: slow on a busy machine). */
  initDeadlineMs: number;
  maxResultBytes: number;
  host: HostHandler;
  /** Persists the store writes a call (or init) made, before it settles; throws to fail it. */
  storeWrites: (writes: StoreWrite[]) => void;
  log: LogHandler;
  logDropped: LogDroppedHandler;
}

const WORKER_URL = new URL('./driver-worker.js', import.meta.url);
let spare: { worker: Worker; online: Promise<void>; timer: NodeJS.Timeout } | undefined;

/** A spare nobody took in this long goes: loads come in bursts (start, upgrades), and an idle
 * daemon should not hold a booted thread for the next one. */
const SPARE_IDLE_MS = 2_000;

/** The worker's JS heap (lifted strings and lists); Wasm memory is capped separately. */
const WORKER_HEAP_MB = 128;

function spawn(): Worker {
  const worker = new Worker(WORKER_URL, { resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } });
  worker.unref();
  return worker;
}

/** A booted worker waiting for its component takes the thread start (tens of ms) off the next
 * load; resolves when it is online. */
export function prepareSpare(): Promise<void> {
  if (spare === undefined) {
    const worker = spawn();
    const timer = setTimeout(() => {
      if (spare?.worker !== worker) return;
      spare = undefined;
      void worker.terminate().then(() => sys.mallocTrim());
    }, SPARE_IDLE_MS);
    timer.unref();
    spare = {
      worker,
      online: once(worker, 'online').then(
        () => undefined,
        () => undefined,
      ),
      timer,
    };
  } else spare.timer.refresh();
  return spare.online;
}

function takeWorker(): Worker {
  if (spare === undefined) return spawn();
  const { worker, timer } = spare;
  clearTimeout(timer);
  spare = undefined;
  return worker;
}

/** A call failed because the instance died (trap, deadline, crash): it must be replaced. */
export class InstanceFault extends Internal {}

interface Pending {
  resolve(value: unknown): void;
  reject(error: DriverError): void;
}

/** A call may last this many deadlines when its guest waits for the host (and never longer). */
export const HOST_WAIT_FACTOR = 3;

export class ComponentInstance {
  readonly #worker: Worker;
  readonly #channel = new SharedArrayBuffer(CHANNEL_BYTES);
  readonly #clock = new GuestClock();
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #dead: string | undefined;
  /** The worker limits its guest's logs; the host does again, trusting no worker. */
  readonly #logLimiter: LogLimiter;
  #logsDropped = 0;

  private constructor(readonly options: InstanceOptions) {
    const data: WorkerInit = {
      jsPath: options.compiled.jsPath,
      modules: options.compiled.modules,
      world: options.compiled.world,
      channel: this.#channel,
      clock: this.#clock.buffer,
      store: options.store,
      storeQuota: options.storeQuota,
      logLimits: options.logLimits,
      maxResultBytes: options.maxResultBytes,
      memoryMaxBytes: options.compiled.memoryMaxBytes,
    };
    this.#logLimiter = new LogLimiter(hostLogLimits(options.logLimits));
    this.#worker = takeWorker();
    this.#worker.postMessage(data);
    this.#worker.on('message', (message: FromWorker) => this.#receive(message));
    this.#worker.on('error', (error) => this.#kill(`worker crashed: ${error.message}`));
    this.#worker.on('exit', (code) => this.#kill(`worker exited with code ${code}`));
  }

  /** Starts a worker, instantiates the component and runs its init; resolves with what it registered. */
  static start(options: InstanceOptions): Promise<{ instance: ComponentInstance; registrations: Registration[] }> {
    const instance = new ComponentInstance(options);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        instance.#kill(`init did not finish within ${options.initDeadlineMs} ms`);
      }, options.initDeadlineMs);
      instance.#onReady = (registrations) => {
        clearTimeout(timer);
        void prepareSpare();
        resolve({ instance, registrations });
      };
      instance.#onInitFailed = (error) => {
        clearTimeout(timer);
        instance.#onInitFailed = () => undefined;
        instance.#kill(error.message);
        reject(error);
      };
    });
  }

  #onReady: (registrations: Registration[]) => void = () => undefined;
  #onInitFailed: (error: DriverError) => void = () => undefined;

  get dead(): string | undefined {
    return this.#dead;
  }

  get threadId(): number {
    return this.#worker.threadId;
  }

  /** One call into the guest; the caller serializes calls. */
  invoke(method: string, args: unknown[]): Promise<unknown> {
    if (this.#dead !== undefined)
      return Promise.reject(new InstanceFault(`${this.options.label} is not running (${this.#dead})`));
    const id = this.#nextId++;
    this.#clock.reset();
    return new Promise((resolve, reject) => {
      // The deadline counts the guest's own time: when it fires, the time the guest waited for
      // the host is given back (see GuestClock), up to a cap on the whole call, which also stops
      // a guest that spends its time asking the host.
      const deadlineMs = this.options.deadlineMs;
      const capAt = performance.now() + deadlineMs * HOST_WAIT_FACTOR;
      const expire = (): void => {
        const left = Math.min(deadlineMs - this.#clock.usedMs(), capAt - performance.now());
        if (left > 0) timer = setTimeout(expire, left);
        else this.#kill(`${method} exceeded its ${deadlineMs} ms deadline; the instance was stopped`);
      };
      let timer = setTimeout(expire, deadlineMs);
      this.#pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.#worker.postMessage({ id, method, args });
    });
  }

  /** Replaces the worker's copy of the store (writes made by the instance it replaces). */
  syncStore(entries: Array<[string, Uint8Array]>): void {
    this.#worker.postMessage({ store: entries });
  }

  async terminate(): Promise<void> {
    this.#kill('terminated by the host');
    await this.#worker.terminate();
  }

  #receive(message: FromWorker): void {
    if (message.type === 'result' || message.type === 'ready') this.#reportDroppedLogs();
    switch (message.type) {
      case 'ready':
        if (this.#persisted(message.writes)) this.#onReady(message.registrations);
        return;
      case 'init-failed':
        this.#onInitFailed(fromWire(message.error));
        return;
      case 'host': {
        const reply = this.#host(message.op, message.args);
        if (reply instanceof Promise) void reply.then((settled) => answer(this.#channel, settled));
        else answer(this.#channel, reply);
        return;
      }
      case 'log': {
        const line = this.#logLimiter.admit(String(message.message));
        if (line !== undefined) this.options.log(message.level, line);
        return;
      }
      case 'log-dropped':
        this.#logsDropped += message.count;
        return;
      case 'result': {
        const pending = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (message.ok) {
          if (this.#persisted(message.writes, pending)) pending?.resolve(message.value);
        } else if (message.fatal) {
          pending?.reject(
            new InstanceFault(`${this.options.label}: ${message.error.message}; the instance is being re-created`),
          );
          this.#kill(message.error.message);
        } else if (this.#persisted(message.writes, pending)) pending?.reject(fromWire(message.error));
      }
    }
  }

  /** Persists the guest's store writes. When that fails, the guest's copy of its store is ahead
   * of the host's: the call fails and the instance is replaced (its successor reads the host's). */
  #persisted(writes: StoreWrite[], pending?: Pending): boolean {
    if (writes.length === 0) return true;
    try {
      this.options.storeWrites(writes);
      return true;
    } catch (error) {
      const reason = `its store writes could not be saved (${error instanceof Error ? error.message : String(error)})`;
      pending?.reject(new InstanceFault(`${this.options.label}: ${reason}; the instance is being re-created`));
      this.#kill(reason);
      return false;
    }
  }

  #reportDroppedLogs(): void {
    const count = this.#logsDropped + this.#logLimiter.takeDropped();
    this.#logsDropped = 0;
    if (count > 0) this.options.logDropped(count);
  }

  /** Sync handlers answer at once; a plumbing backend may return a promise. */
  #host(op: string, args: unknown[]): HostReply | Promise<HostReply> {
    const refuse = (error: unknown): HostReply => ({ ok: false, error: hostError(op, error) });
    try {
      const value = this.options.host(op, args);
      return value instanceof Promise
        ? value.then((settled) => ({ ok: true, value: settled }), refuse)
        : { ok: true, value };
    } catch (error) {
      return refuse(error);
    }
  }

  /** Marks the instance dead, fails whatever was in flight, and stops the worker. */
  #kill(reason: string): void {
    if (this.#dead !== undefined) return;
    this.#dead = reason;
    this.#onInitFailed(new InstanceFault(`${this.options.label}: ${reason}`));
    for (const pending of this.#pending.values()) pending.reject(new InstanceFault(`${this.options.label}: ${reason}`));
    this.#pending.clear();
    void this.#worker.terminate();
  }
}

function hostError(op: string, error: unknown): WireError {
  if (error instanceof DriverError) return { kind: error.kind, message: error.message };
  return { kind: 'internal', message: `host ${op} failed: ${error instanceof Error ? error.message : String(error)}` };
}
