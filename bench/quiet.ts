// Waiting for the machine to be quiet before a tool is timed: the kernel keeps working for a
// while after a tool's teardown (freeing namespaces, veths, netfilter state; netavark's teardown
// alone takes a while), and a tool timed in another's aftermath pays for it.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Idle and total CPU time since boot, from /proc/stat's first line (in clock ticks). */
function cpuTimes(): { idle: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait are idle time.
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { idle, total: fields.slice(0, 8).reduce((sum, value) => sum + value, 0) };
}

/**
 * Resolves once the CPUs were at least `minIdle` idle over a `windowMs` window, or after
 * `maxWaitMs` (a machine that never gets that quiet is measured as it is).
 */
export async function quietMachine(minIdle = 0.85, windowMs = 100, maxWaitMs = 5000): Promise<void> {
  const deadline = Date.now() + maxWaitMs;
  let before = cpuTimes();
  while (Date.now() < deadline) {
    await sleep(windowMs);
    const after = cpuTimes();
    const total = after.total - before.total;
    if (total > 0 && (after.idle - before.idle) / total >= minIdle) return;
    before = after;
  }
}
