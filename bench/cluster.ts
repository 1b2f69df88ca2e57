// Cluster figures on a real etcd (Debian's etcd-server, started for the run on loopback):
// - table events: AddTableEntry (a driver's Join) on one node → EventNotify on another, two
//   controllers in cluster mode, single-member etcd; beside it, in the same run and interleaved,
//   etcd3's own put → watch event between two clients (the floor);
// - a dead host: a node in a process of its own, SIGKILLed; the seconds until the other node's
//   driver had the delete of its entry and DiscoverDelete for it (and that minus the TTL);
// - convergence: 100 simulated nodes (controllers without plumbing, in a few processes) each
//   add 50 entries to one global network's table (a Join whose driver calls AddTableEntry 50
//   times); the seconds until every node saw all 5 000 entries;
// - overlay endpoints (cluster/overlay.ts): create + join on the overlay driver against the
//   single-host bridge in the same run, and etcd's writes per overlay endpoint lifecycle.
// Options: --samples N (300), --ttl S (5), --nodes N (100), --entries N (50), --processes N (4),
// --lifecycles N (100: overlay lifecycles etcd's writes are counted over).
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { etcdClient } from '../host/cluster/index.js';
import { startEtcd } from '../test/support/etcd.js';
import { overlayEndpoints } from './cluster/overlay.js';
import { now, SIM_DRIVER, networkOn, startSimNode } from './cluster/sim-node.js';
import { numberOption } from './options.js';
import { type BenchOptions, type BenchReport, percentile, round } from './report.js';

const CHILD = fileURLToPath(new URL('./cluster/node-child.js', import.meta.url));

export async function run(options: BenchOptions): Promise<BenchReport> {
  const samples = numberOption(options.args, 'samples', 300);
  const ttl = numberOption(options.args, 'ttl', 5);
  const nodes = numberOption(options.args, 'nodes', 100);
  const entries = numberOption(options.args, 'entries', 50);
  const processes = numberOption(options.args, 'processes', 4);
  const lifecycles = numberOption(options.args, 'lifecycles', 100);
  const dir = `/run/wasmnet-bench-cluster-${process.pid}`;
  const etcd = await startEtcd();
  try {
    // Each phase has data directories of its own: a node name comes back in another phase.
    const events = await tableEvents(etcd.endpoints, join(dir, 'events'), samples);
    const dead = await deadHost(etcd.endpoints, join(dir, 'dead'), ttl);
    const converge = await convergence(etcd.endpoints, join(dir, 'converge'), nodes, entries, processes);
    const overlay = await overlayEndpoints(etcd, join(dir, 'overlay'), samples, lifecycles);
    const p50 = percentile(events.ours, 50);
    const p99 = percentile(events.ours, 99);
    const floor50 = percentile(events.etcd3, 50);
    const floor99 = percentile(events.etcd3, 99);
    return {
      rows: [
        {
          label: 'table event p50 (AddTableEntry → EventNotify)',
          value: p50,
          unit: 'ms',
          note: `etcd3 put → watch ${floor50.toFixed(2)} ms`,
        },
        { label: 'table event p99', value: p99, unit: 'ms', note: `etcd3 put → watch ${floor99.toFixed(2)} ms` },
        {
          label: `dead host cleanup (TTL ${ttl} s)`,
          value: dead,
          unit: 's',
          note: `${(dead - ttl).toFixed(2)} s over the TTL`,
        },
        {
          label: `converge ${nodes} nodes × ${entries} entries`,
          value: converge,
          unit: 's',
          note: `${processes} processes`,
        },
        ...overlay.rows,
      ],
      figures: {
        tableEventP50Ms: round(p50),
        tableEventP99Ms: round(p99),
        etcd3PutWatchP50Ms: round(floor50),
        etcd3PutWatchP99Ms: round(floor99),
        deadHostCleanupS: round(dead),
        deadHostCleanupMinusTtlS: round(dead - ttl),
        clusterTtlS: ttl,
        [`convergeSeconds${nodes}x${entries}`]: round(converge),
        ...overlay.figures,
      },
    };
  } finally {
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Interleaved samples: a join on node A until node B's EventNotify; a raw etcd3 put until its watch event. */
async function tableEvents(
  endpoints: string[],
  dir: string,
  samples: number,
): Promise<{ ours: number[]; etcd3: number[] }> {
  const prefix = '/bench-events/';
  const options = (n: number) => ({ endpoints, prefix, nodeName: `lat${n}`, advertiseAddress: `192.0.2.${n}` });
  const a = await startSimNode(dir, options(1));
  const b = await startSimNode(dir, options(2));
  const writer = etcdClient(endpoints);
  const reader = etcdClient(endpoints);
  try {
    const network = await a.controller.newNetwork(SIM_DRIVER, 'latency', {
      ipam: { config: [{ subnet: '10.129.0.0/16' }] },
    });
    await networkOn(b, 'latency');
    const watcher = await reader.watch().prefix('/bench-raw/').create();
    const arrived = new Map<string, number>();
    watcher.on('put', (kv) => arrived.set(kv.key.toString(), now()));
    const ours: number[] = [];
    const raw: number[] = [];
    for (let i = 0; i < samples + 10; i++) {
      const endpoint = await network.createEndpoint(`e${i}`);
      await endpoint.join(await a.controller.newSandbox(`s${i}`));
      await until(() => b.driver.notified.has(endpoint.id()));
      const key = `/bench-raw/k${i}`;
      const sent = now();
      await writer.put(key).value('x').exec();
      await until(() => arrived.has(key));
      // The first few warm the paths up.
      if (i < 10) continue;
      ours.push((b.driver.notified.get(endpoint.id()) as number) - (a.driver.added.get(endpoint.id()) as number));
      raw.push((arrived.get(key) as number) - sent);
    }
    await watcher.cancel();
    return { ours, etcd3: raw };
  } finally {
    writer.close();
    reader.close();
    await a.controller.close();
    await b.controller.close();
  }
}

/** A node killed with SIGKILL: seconds until the survivor's driver has its entry's delete and its departure. */
async function deadHost(endpoints: string[], dir: string, ttl: number): Promise<number> {
  const prefix = '/bench-dead/';
  const survivor = await startSimNode(dir, { endpoints, prefix, nodeName: 'survivor', advertiseAddress: '192.0.2.1' });
  const victim = spawnNodes([endpoints.join(','), prefix, dir, '0', '1', 'dead', '0', String(ttl)], 1);
  try {
    await victim.ready;
    await until(() => survivor.driver.notified.size === 1, 20_000);
    const killedAt = now();
    const exited = new Promise((resolve) => victim.child.once('exit', resolve));
    victim.child.kill('SIGKILL');
    await exited;
    await until(() => survivor.driver.deleted.size === 1 && survivor.driver.departed.size === 1, (ttl + 20) * 1000);
    const gone = Math.max(...survivor.driver.deleted.values(), ...survivor.driver.departed.values());
    return (gone - killedAt) / 1000;
  } finally {
    if (victim.child.exitCode === null && victim.child.signalCode === null) victim.child.kill('SIGKILL');
    await survivor.controller.close();
  }
}

/** `nodes` simulated nodes in `processes` processes; seconds from "go" until the last node has seen every entry. */
async function convergence(
  endpoints: string[],
  dir: string,
  nodes: number,
  entries: number,
  processes: number,
): Promise<number> {
  const prefix = '/bench-converge/';
  const per = Math.ceil(nodes / processes);
  const children: Array<ReturnType<typeof spawnNodes>> = [];
  try {
    // The first process creates the network: it starts alone.
    for (let p = 0; p < processes; p++) {
      const first = p * per;
      const count = Math.min(per, nodes - first);
      const args = [endpoints.join(','), prefix, dir, String(first), String(count), 'converge', String(entries), '10'];
      children.push(spawnNodes(args, nodes));
      if (p === 0) await children[0]?.ready;
    }
    await Promise.all(children.map((child) => child.ready));
    const go = now();
    for (const child of children) child.child.stdin?.write('go\n');
    const done = await Promise.all(children.map((child) => child.done));
    if (process.env.BENCH_DEBUG)
      process.stderr.write(`joined after ${JSON.stringify(children.map((c) => c.joinedAt - go))} ms\n`);
    return (Math.max(...done.flat()) - go) / 1000;
  } finally {
    for (const child of children) child.child.stdin?.write('exit\n');
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.child.exitCode !== null) return resolve();
            const timer = setTimeout(() => child.child.kill('SIGKILL'), 30_000);
            child.child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );
  }
}

function spawnNodes(
  args: string[],
  total: number,
): { child: ChildProcess; ready: Promise<void>; done: Promise<number[]>; joinedAt: number } {
  const child = spawn(process.execPath, [CHILD, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, SIM_TOTAL: String(total) },
  });
  let onReady: () => void = () => undefined;
  let onDone: (times: number[]) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    child.once('exit', (code) => reject(new Error(`simulated nodes exited (${code}) before they were ready`)));
  });
  const done = new Promise<number[]>((resolve) => {
    onDone = resolve;
  });
  const result = { child, ready, done, joinedAt: 0 };
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    const message = JSON.parse(line) as { ready?: boolean; done?: number[]; joinedAt?: number };
    if (message.ready === true) onReady();
    if (message.joinedAt !== undefined) result.joinedAt = message.joinedAt;
    if (message.done !== undefined) onDone(message.done);
  });
  ready.catch(() => undefined);
  return result;
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('bench/cluster: timed out');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
