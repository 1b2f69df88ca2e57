// The daemon's leftover sweeps (host/controller/leftovers.ts): one before it serves, then one
// every interval; a log line and a metric per object removed, and the Docker plugin forgets
// what went (dockerd will not ask again).
import type { Logger } from '../api/log.js';
import type { ApiMetrics } from '../api/metrics.js';
import type { LeftoverSweeper } from '../controller/index.js';

export const DEFAULT_LEFTOVER_INTERVAL_MS = 30_000;
/** How long a namespace must have been seen gone, however often the sweeps run: an engine mounts it after the Join. */
export const MIN_LEFTOVER_GRACE_MS = 10_000;

export interface LeftoverSweeps {
  /** Stops the timer and waits for a sweep in progress. */
  stop(): Promise<void>;
}

export interface SweepOptions {
  sweeper: LeftoverSweeper;
  metrics: ApiMetrics;
  log: Logger;
  /** 0: only the sweep at start. */
  intervalMs: number;
  /** Runs after each sweep (the Docker plugin's prune: an operator may have removed objects too). */
  after?: () => Promise<void>;
}

/** Sweeps once now (awaited), then every `intervalMs`. */
export async function startLeftoverSweeps(o: SweepOptions): Promise<LeftoverSweeps> {
  let running: Promise<void> | undefined;
  const sweep = async (): Promise<void> => {
    try {
      const removed = await o.sweeper.sweep();
      for (const leftover of removed) {
        o.metrics.countLeftover(leftover.kind);
        o.log('info', `removed leftover ${leftover.kind}`, { ...leftover });
      }
      await o.after?.();
    } catch (error) {
      o.log('error', 'leftover sweep failed', { error: error instanceof Error ? error.message : String(error) });
    }
  };
  await sweep();
  // A sweep never overlaps the previous one: a tick during a sweep is skipped.
  const timer =
    o.intervalMs > 0
      ? setInterval(() => {
          running ??= sweep().finally(() => {
            running = undefined;
          });
        }, o.intervalMs)
      : undefined;
  timer?.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
