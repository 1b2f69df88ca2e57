// What a component's faults lead to: the first one is restarted at once, each further
// consecutive one only after a backoff that doubles up to a cap, and after `unhealthyAfter`
// consecutive faults the component is reported unhealthy. A call that succeeds ends the run.
import { DriverUnhealthy } from './errors.js';

export interface FaultPolicyOptions {
  /** Delay before the second consecutive restart; doubles after each further fault. */
  backoffMs: number;
  backoffMaxMs: number;
  /** Consecutive faults after which the component is reported unhealthy. */
  unhealthyAfter: number;
}

export interface SlotHealth {
  healthy: boolean;
  consecutiveFaults: number;
  lastFault?: string;
  /** While backing off: how long until the next restart may happen. */
  retryAfterMs?: number;
}

export class FaultPolicy {
  #faults = 0;
  #lastFault: string | undefined;
  /** No restart before this time (in `now()`'s clock). */
  #retryAt = 0;

  constructor(
    private readonly options: FaultPolicyOptions,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** The instance died (a trap, a missed deadline, a failed restart). */
  fault(message: string): void {
    this.#faults++;
    this.#lastFault = message;
    const { backoffMs, backoffMaxMs } = this.options;
    this.#retryAt = this.#faults > 1 ? this.now() + Math.min(backoffMs * 2 ** (this.#faults - 2), backoffMaxMs) : 0;
  }

  /** A call succeeded: the faults are no longer consecutive. */
  succeeded(): void {
    this.#faults = 0;
  }

  /** A new version replaced the instance: it starts with a clean record and no backoff. */
  reset(): void {
    this.#faults = 0;
    this.#retryAt = 0;
  }

  /** How long until a restart may happen (0: now). */
  waitMs(): number {
    return Math.max(0, this.#retryAt - this.now());
  }

  /** The refusal of a call while backing off, or after a failed restart. */
  unhealthy(owner: string): DriverUnhealthy {
    return new DriverUnhealthy(owner, this.#faults, this.waitMs(), this.#lastFault);
  }

  /** `running`: an instance serves now (no restart is awaited). */
  health(running: boolean): SlotHealth {
    const health: SlotHealth = { healthy: this.#faults < this.options.unhealthyAfter, consecutiveFaults: this.#faults };
    if (this.#lastFault !== undefined) health.lastFault = this.#lastFault;
    const wait = this.waitMs();
    if (!running && wait > 0) health.retryAfterMs = wait;
    return health;
  }
}
