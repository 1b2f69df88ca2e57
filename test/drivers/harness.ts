// Shared setup for the driver runtime tests: a runtime over a fake plumbing backend that
// records calls, an in-memory store, and a steady stream of calls to count failures.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DriverRuntime,
  MemoryStore,
  type Driver,
  type NetlinkCall,
  type RuntimeOptions,
} from '../../host/drivers/index.js';

/** Shared by the test files so each probe is transpiled once (the cache is keyed by hash); one per user. */
export const DATA_DIR = join(tmpdir(), `wasmnet-drivers-test-${process.getuid?.() ?? 0}`);

export class FakePlumbing {
  readonly calls: NetlinkCall[] = [];

  netlink(call: NetlinkCall): unknown {
    this.calls.push(call);
    return call.op === 'linkAdd' ? this.calls.length : undefined;
  }
}

export function makeRuntime(options: Partial<RuntimeOptions> = {}): {
  runtime: DriverRuntime;
  plumbing: FakePlumbing;
  logs: string[];
} {
  const plumbing = new FakePlumbing();
  const logs: string[] = [];
  const runtime = new DriverRuntime({
    dataDir: DATA_DIR,
    plumbing,
    store: new MemoryStore(),
    deadlineMs: 2000,
    backoffMs: 20,
    log: (owner, level, message) => logs.push(`${owner} ${level} ${message}`),
    ...options,
  });
  return { runtime, plumbing, logs };
}

/** Calls `driver` back to back until stopped; every call must succeed. After a failure it
 * yields to the event loop (a refusal can be immediate: no hot loop); it stops after ten. */
export function steadyStream(driver: () => Driver): { stop(): Promise<{ ok: number; failures: Error[] }> } {
  let running = true;
  let ok = 0;
  const failures: Error[] = [];
  const loop = (async () => {
    while (running) {
      try {
        await driver().endpointOperInfo('steady', 'ep');
        ok++;
      } catch (error) {
        failures.push(error as Error);
        // A failed test may never call stop(): give up after a few failures.
        if (failures.length >= 10) running = false;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { ok, failures };
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
