// How much a driver may log. A guest's log lines are copied out of its memory and written by the
// daemon: 200 000 lines of 1 KiB, or 1 000 lines of 1 MiB, in one call wrote 1 GB and stalled the
// API for 14 s. Lines are cut to `lineBytes` (the cut is marked) and a token bucket admits
// `linesPerSecond` with bursts of `burst`; the rest are counted and reported as dropped. The
// worker applies it (a dropped line never crosses the thread boundary) and the host again.
import { boundedText } from '../excerpt.js';

export interface LogLimits {
  /** Longest line kept whole, in characters; longer ones are cut and marked. */
  lineBytes: number;
  /** Lines admitted per second, on average. */
  linesPerSecond: number;
  /** Lines admitted at once after a quiet spell. */
  burst: number;
}

/** A driver logs a line or two per call: 1 000 lines at once and 100 a second cover a busy one;
 * at most ~400 KiB/s per driver reach the log. */
export const DEFAULT_LOG_LIMITS: LogLimits = { lineBytes: 4096, linesPerSecond: 100, burst: 1000 };

/**
 * The host's limits for lines a worker already limited: a line the worker cut is `lineBytes`
 * long plus its note ("… (1048576 characters)"), which the host keeps rather than cut again.
 */
export function hostLogLimits(limits: LogLimits): LogLimits {
  const CUT_NOTE_MAX = 32;
  return { ...limits, lineBytes: limits.lineBytes + CUT_NOTE_MAX };
}

export class LogLimiter {
  #tokens: number;
  #filledAt: number;
  #dropped = 0;

  constructor(
    readonly limits: LogLimits,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#tokens = limits.burst;
    this.#filledAt = now();
  }

  /** The line to log (cut, control characters escaped), or undefined when over the rate. */
  admit(message: string): string | undefined {
    const now = this.now();
    const { burst, linesPerSecond, lineBytes } = this.limits;
    this.#tokens = Math.min(burst, this.#tokens + ((now - this.#filledAt) / 1000) * linesPerSecond);
    this.#filledAt = now;
    if (this.#tokens < 1) {
      this.#dropped += 1;
      return undefined;
    }
    this.#tokens -= 1;
    return boundedText(message, lineBytes);
  }

  /** Lines dropped since the last call, and the count restarts. */
  takeDropped(): number {
    const dropped = this.#dropped;
    this.#dropped = 0;
    return dropped;
  }
}
