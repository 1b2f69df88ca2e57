// Runs async tasks one at a time, in the order they were queued; a failure does not stop the
// queue. The global IPAM's etcd work and the driver runtime's calls to one component use it.
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(task);
    this.#tail = run.catch(() => undefined);
    return run;
  }
}
