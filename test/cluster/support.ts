// Cluster test helpers: etcd clients and nodes' table stores under a prefix of the test's own,
// closed after the test; waiting for a condition with a deadline (never a timed assertion).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Etcd3, Lease } from 'etcd3';
import { etcdClient } from '../../host/cluster/index.js';
import { EtcdTableStore } from '../../host/cluster/table-store.js';
import type { TableEvent } from '../../host/controller/index.js';

export interface After {
  after(fn: () => Promise<void> | void): void;
}

/**
 * Cleanups run last-registered first (node:test runs `t.after` hooks in registration order):
 * the nodes close before the etcd they talk to stops.
 */
export function cleanupStack(t: After): After {
  const steps: Array<() => Promise<void> | void> = [];
  t.after(async () => {
    for (const step of steps.reverse()) await step();
  });
  return { after: (fn) => steps.push(fn) };
}

export function uniquePrefix(): string {
  return `/wasmnet-test-${randomBytes(4).toString('hex')}/`;
}

export function client(t: After, endpoints: string[]): Etcd3 {
  const c = etcdClient(endpoints);
  t.after(() => c.close());
  return c;
}

/** A node's table store on its own client and lease. */
export function tableNode(
  t: After,
  endpoints: string[],
  prefix: string,
  ttlSeconds = 10,
): { client: Etcd3; lease: Lease; store: EtcdTableStore; warnings: string[] } {
  const c = etcdClient(endpoints);
  const lease = c.lease(ttlSeconds);
  const warnings: string[] = [];
  const store = new EtcdTableStore(c, { prefix, leaseOf: () => lease, warn: (m) => warnings.push(m) });
  t.after(async () => {
    await store.close();
    await lease.revoke().catch(() => undefined);
    c.close();
  });
  return { client: c, lease, store, warnings };
}

/** Starts a Node child running `script` (compiled, next to this file) and waits for its "ready" line. */
export async function startChild(
  t: After,
  script: string,
  args: string[],
): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL(script, import.meta.url)), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await waitFor(`${script} to be ready (${output})`, () => output.includes('ready\n') || child.exitCode !== null);
  if (child.exitCode !== null) throw new Error(`${script} exited: ${output}`);
  return { child, output: () => output };
}

/** SIGKILLs a child (by its pid) and waits until it is gone. */
export async function killChild(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

/** Collects the events a subscriber gets. */
export function recorder(): { events: TableEvent[]; listener: (event: TableEvent) => Promise<void> } {
  const events: TableEvent[] = [];
  return { events, listener: async (event) => void events.push(event) };
}

export async function waitFor(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export const text = (value: string): Uint8Array => new TextEncoder().encode(value);
export const str = (value: Uint8Array): string => new TextDecoder().decode(value);
