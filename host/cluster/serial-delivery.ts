// Runs one subscriber's deliveries one at a time, in the order they were pushed: a driver
// never hears of a delete before the create it follows. A failed delivery is the listener's.
export class SerialDelivery {
  #tail: Promise<void> = Promise.resolve();

  constructor(private readonly warn: (message: string) => void) {}

  /** Resolves once `deliver` ran (after every delivery pushed before it). */
  push(deliver: () => Promise<void>): Promise<void> {
    const run = this.#tail.then(deliver).catch((error: unknown) => {
      this.warn(`table event delivery: ${error instanceof Error ? error.message : String(error)}`);
    });
    this.#tail = run;
    return run;
  }

  /** Resolves once every delivery pushed so far ran. */
  idle(): Promise<void> {
    return this.#tail;
  }
}
