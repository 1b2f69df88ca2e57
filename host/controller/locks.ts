// The controller's locking, as libnetwork's: an operation locks the objects it changes (a
// network, an endpoint, a sandbox, a name being taken), so operations on different objects
// run at the same time, and two on the same object run one after the other, in call order.
// Restore and close run alone: after every operation already called, before any called later.

/** What an operation locks: keys such as `network:<id>` or `sandbox:<id>`. */
export type LockKeys = readonly string[];

export class OperationLocks {
  /** Per key, the settling of the last operation that locked it. */
  readonly #tails = new Map<string, Promise<void>>();
  /** Operations called and not yet settled (what the next lone task waits for). */
  readonly #pending = new Set<Promise<void>>();
  /** The settling of the last lone task: later operations wait for it. */
  #barrier: Promise<void> = Promise.resolve();

  /**
   * Runs `task` once the operations called before it on any of `keys`, and the last lone task,
   * have settled. All keys are taken in one step, so two operations never wait for each other.
   */
  withKeys<T>(keys: LockKeys, task: () => Promise<T>): Promise<T> {
    const waits = [
      this.#barrier,
      ...keys.map((key) => this.#tails.get(key)).filter((tail): tail is Promise<void> => tail !== undefined),
    ];
    const { promise: held, resolve: release } = settleable();
    for (const key of keys) this.#tails.set(key, held);
    const run = (async () => {
      await Promise.all(waits);
      try {
        return await task();
      } finally {
        for (const key of keys) if (this.#tails.get(key) === held) this.#tails.delete(key);
        release();
      }
    })();
    this.#track(held);
    return run;
  }

  /** Runs `task` after every operation called before it, and before any called after it. */
  alone<T>(task: () => Promise<T>): Promise<T> {
    const waits = [this.#barrier, ...this.#pending];
    const { promise: done, resolve: release } = settleable();
    this.#barrier = done;
    const run = (async () => {
      await Promise.all(waits);
      try {
        return await task();
      } finally {
        release();
      }
    })();
    this.#track(done);
    return run;
  }

  #track(settled: Promise<void>): void {
    this.#pending.add(settled);
    void settled.then(() => this.#pending.delete(settled));
  }
}

/** A promise that only ever resolves, and its resolver. */
function settleable(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** The keys operations lock (one spelling for all of them). */
export const lockKey = {
  network: (id: string): string => `network:${id}`,
  networkName: (name: string): string => `network-name:${name}`,
  endpoint: (id: string): string => `endpoint:${id}`,
  sandbox: (id: string): string => `sandbox:${id}`,
  container: (containerId: string): string => `container:${containerId}`,
};
