// The daemon as a host runs it (`wasmnet daemon`, three built-in drivers, inside a private host
// namespace): its idle weight, its weight and restart time with `scale` endpoints, and deletes
// against creates, all through the REST API with `clients` clients at a time. With --docker,
// dockerd's and containerd's idle weight in the same run (dockerd started in the private
// namespace with its own directories; off by default: it shares /run/docker with the machine's).
// Options: --scale N (5000 joined endpoints), --networks N (2000), --clients N (4), --idle-ms N (10000), --docker.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../host/api/client.js';
import { createNetns, deleteNetns, type Netns, sysctlSet, withNetns } from '../host/netlink/index.js';
import { numberOption } from './options.js';
import { type BenchOptions, type BenchReport, type BenchRow, round } from './report.js';
import { withTmpfsWorkDir } from './workdir.js';

const MAIN = fileURLToPath(new URL('../host/cli/main.js', import.meta.url));
const READY_TIMEOUT_MS = 120_000;

function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** VmRSS (MB) and thread count of a process, from /proc. */
function weight(pid: number): { rssMB: number; threads: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number =>
    Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMB: field('VmRSS') / 1024, threads: field('Threads') };
}

interface Daemon {
  child: ChildProcess;
  exited: Promise<void>;
  /** From spawn to the API's first answer. */
  readyMs: number;
}

/** Starts `wasmnet daemon` in `host` and waits until its API answers. */
async function startDaemon(host: Netns, dir: string, client: ApiClient): Promise<Daemon> {
  const start = now();
  const child = withNetns(host.path, () =>
    spawn(
      process.execPath,
      [
        MAIN,
        'daemon',
        '--socket',
        client.socketPath,
        '--data-dir',
        join(dir, 'data'),
        '--host-netns',
        host.path as string,
        '--no-docker-plugin',
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    ),
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wasmnet daemon exited with ${child.exitCode}`);
    try {
      await client.get('/_ping');
      return { child, exited, readyMs: now() - start };
    } catch {
      if (now() - start > READY_TIMEOUT_MS) throw new Error('wasmnet daemon not ready in time');
      await sleep(5);
    }
  }
}

async function stopDaemon(daemon: Daemon): Promise<void> {
  if (daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill('SIGTERM');
  await daemon.exited;
}

/** Runs `task(i)` for i in [0, count) with `clients` in flight at a time; the wall time in ms. */
async function wall(count: number, clients: number, task: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < count) await task(next++);
    }),
  );
  return now() - start;
}

/** dockerd (and the containerd it starts) idle, in their own directories and namespace. */
async function dockerIdle(host: Netns, dir: string, idleMs: number): Promise<{ dockerd: number; containerd: number }> {
  const root = join(dir, 'docker');
  mkdirSync(root, { recursive: true });
  const socket = join(root, 'docker.sock');
  const child = withNetns(host.path, () =>
    spawn(
      'dockerd',
      [
        '--data-root',
        join(root, 'data'),
        '--exec-root',
        join(root, 'exec'),
        '--pidfile',
        join(root, 'docker.pid'),
        '--host',
        `unix://${socket}`,
        '--iptables=false',
        '--bridge=none',
      ],
      { stdio: 'ignore' },
    ),
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    for (let i = 0; i < 600 && !existsSync(socket); i++) await sleep(50);
    await sleep(idleMs);
    const pid = child.pid as number;
    const containerd = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).map(Number)[0];
    return {
      dockerd: weight(pid).rssMB,
      containerd: containerd === undefined || Number.isNaN(containerd) ? Number.NaN : weight(containerd).rssMB,
    };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

export function run(options: BenchOptions): Promise<BenchReport> {
  return withTmpfsWorkDir(`/run/wasmnet-bench-daemon-${process.pid}`, (dir) => measure(options, dir));
}

async function measure(options: BenchOptions, dir: string): Promise<BenchReport> {
  const scale = numberOption(options.args, 'scale', 5000);
  const networkCount = numberOption(options.args, 'networks', 2000);
  const clients = numberOption(options.args, 'clients', 4);
  const idleMs = numberOption(options.args, 'idle-ms', 10_000);
  const host = createNetns(join(dir, 'host'), 'host', (ns) => sysctlSet(ns, 'disable-ipv6', undefined, '1'));
  const client = new ApiClient(join(dir, 'wasmnet.sock'), 600_000);
  let daemon: Daemon | undefined;
  try {
    daemon = await startDaemon(host, dir, client);
    const coldStartMs = daemon.readyMs;
    await sleep(idleMs);
    const idle = weight(daemon.child.pid as number);

    // Networks: `networkCount` bridges with a /24 each, created then deleted by `clients` at a time.
    const subnet = (i: number): string => `10.${100 + (i >> 8)}.${i & 255}.0/24`;
    const networkCreateMs = await wall(networkCount, clients, (i) =>
      client.post('/v1/networks', { name: `n${i}`, driver: 'bridge', ipam: { config: [{ subnet: subnet(i) }] } }),
    );
    const networkDeleteMs = await wall(networkCount, clients, (i) => client.delete(`/v1/networks/n${i}`));

    // Sandboxes: `scale` endpoints over networks of up to 1000 (a bridge holds 1023 ports), each
    // joined to a sandbox of its own.
    const bigs = Math.ceil(scale / 1000);
    for (let n = 0; n < bigs; n++)
      await client.post('/v1/networks', {
        name: `big${n}`,
        driver: 'bridge',
        ipam: { config: [{ subnet: `10.${20 + n}.0.0/16` }] },
      });
    const endpoint = (i: number): string => `/v1/networks/big${i % bigs}/endpoints/e${i}`;
    const sandboxCreateMs = await wall(scale, clients, async (i) => {
      await client.post(`/v1/networks/big${i % bigs}/endpoints`, { name: `e${i}` });
      await client.post('/v1/sandboxes', { containerId: `c${i}` });
      await client.post(`${endpoint(i)}/join`, { sandbox: `c${i}` });
    });
    await sleep(idleMs);
    const atScale = weight(daemon.child.pid as number);
    await stopDaemon(daemon);
    daemon = await startDaemon(host, dir, client);
    const restartMs = daemon.readyMs;
    const sandboxDeleteMs = await wall(scale, clients, async (i) => {
      await client.delete(`/v1/sandboxes/c${i}`);
      await client.delete(endpoint(i));
    });
    for (let n = 0; n < bigs; n++) await client.delete(`/v1/networks/big${n}`);
    await stopDaemon(daemon);
    daemon = undefined;

    const docker = options.args.includes('--docker') ? await dockerIdle(host, dir, idleMs) : undefined;
    const networkRatio = networkDeleteMs / networkCreateMs;
    const sandboxRatio = sandboxDeleteMs / sandboxCreateMs;
    const rows: BenchRow[] = [
      {
        label: 'wasmnet daemon idle RSS',
        value: idle.rssMB,
        unit: 'MB',
        note: `${idle.threads} threads, ${idleMs} ms after ready (cold start ${Math.round(coldStartMs)} ms)`,
      },
      docker === undefined
        ? { label: 'dockerd idle RSS', value: Number.NaN, unit: 'MB', note: 'not measured (--docker)' }
        : {
            label: 'dockerd idle RSS',
            value: docker.dockerd,
            unit: 'MB',
            note: `containerd ${docker.containerd.toFixed(1)} MB; no container, no network`,
          },
      {
        label: `wasmnet daemon RSS with ${scale} endpoints`,
        value: atScale.rssMB,
        unit: 'MB',
        note: `${atScale.threads} threads`,
      },
      {
        label: `restart to ready with ${scale} endpoints`,
        value: restartMs,
        unit: 'ms',
        note: 'from spawn to the API answering',
      },
      {
        label: `${networkCount} networks deleted, wall`,
        value: networkDeleteMs / 1000,
        unit: 's',
        note: `${networkRatio.toFixed(2)}x their creation (${(networkCreateMs / 1000).toFixed(2)} s), ${clients} clients`,
      },
      {
        label: `${scale} sandboxes and endpoints deleted, wall`,
        value: sandboxDeleteMs / 1000,
        unit: 's',
        note: `${sandboxRatio.toFixed(2)}x their creation with joins (${(sandboxCreateMs / 1000).toFixed(2)} s), ${clients} clients`,
      },
    ];
    return {
      rows,
      figures: {
        idleRssMB: round(idle.rssMB),
        idleThreads: idle.threads,
        rssAt5000MB: round(atScale.rssMB),
        threadsAt5000: atScale.threads,
        restartAt5000Ms: Math.round(restartMs),
        coldStartMs: Math.round(coldStartMs),
        networkCreateS: round(networkCreateMs / 1000),
        networkDeleteS: round(networkDeleteMs / 1000),
        networkDeleteOverCreate: round(networkRatio),
        sandboxCreateS: round(sandboxCreateMs / 1000),
        sandboxDeleteS: round(sandboxDeleteMs / 1000),
        sandboxDeleteOverCreate: round(sandboxRatio),
        dockerdIdleRssMB: docker === undefined ? null : round(docker.dockerd),
        containerdIdleRssMB: docker === undefined ? null : round(docker.containerd),
        scale,
        networks: networkCount,
        clients,
      },
    };
  } finally {
    if (daemon !== undefined) await stopDaemon(daemon);
    deleteNetns(host);
  }
}
