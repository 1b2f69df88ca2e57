// Endpoint lifecycles through the controller and the Wasm `bridge` driver: endpoint create +
// sandbox + join (setup), then sandbox delete (which leaves) + endpoint delete (teardown). The
// same work, in the same run (interleaved) and inside the same private "host" namespace, by the
// CNI reference `bridge` + `host-local` plugins, by netavark, and by the C floor (floor.ts: the
// endpoint's netlink sequence from C, with no controller, driver or store). Then the throughput with
// several clients at a time on one network, as an engine starting containers in parallel. Then
// 5 000 endpoints over 10 networks, and the cost of one more lifecycle at the end against the
// cost at the start. Every timed run starts with untimed lifecycles of its tool (see quietThenWarm).
// Options: --samples N (500), --clients N (4), --throughput-samples N (1500), --scale N (5000), --networks N (10),
// --peer-samples N (30), --cpu-prof DIR (V8 profiles of the measured loops at the start and at scale).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Controller, type Endpoint, type Network, type Sandbox } from '../host/index.js';
import { createNetns, deleteNetns, type Netns, Rtnl, sysctlSet } from '../host/netlink/index.js';
import { Floor, floorAvailable } from './floor.js';
import { numberOption, stringOption } from './options.js';
import { cniAvailable, cniBridge, type Peer, runIn } from './peers.js';
import { quietMachine } from './quiet.js';
import { withTmpfsWorkDir } from './workdir.js';
import { type BenchOptions, type BenchReport, type BenchRow, percentile, round } from './report.js';

const NETAVARK_PATHS = ['/usr/lib/podman/netavark', '/usr/libexec/podman/netavark', '/usr/bin/netavark'];

function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

interface Lifecycle {
  endpoint: Endpoint;
  sandbox: Sandbox;
}

interface Samples {
  up: number[];
  down: number[];
  /** Wall clock of the whole loop. */
  wallMs: number;
}

/** wasmnet: lifecycles on the controller, numbered so container ids and names stay unique. */
export class Lifecycles {
  #counter = 0;
  /** Each setup's three steps, in ms. */
  readonly steps = { endpoint: [] as number[], sandbox: [] as number[], join: [] as number[] };

  constructor(private readonly controller: Controller) {}

  async setup(network: Network): Promise<Lifecycle> {
    const n = this.#counter++;
    const t0 = now();
    const endpoint = await network.createEndpoint(`ep${n}`);
    const t1 = now();
    const sandbox = await this.controller.newSandbox(`ctr${n}`, { hostname: `c${n}` });
    const t2 = now();
    await endpoint.join(sandbox);
    this.steps.endpoint.push(t1 - t0);
    this.steps.sandbox.push(t2 - t1);
    this.steps.join.push(now() - t2);
    return { endpoint, sandbox };
  }

  async teardown(lifecycle: Lifecycle): Promise<void> {
    await lifecycle.sandbox.delete();
    await lifecycle.endpoint.delete();
  }

  /** One lifecycle whose figures are dropped: see quietThenWarm. */
  async warmUp(network: Network): Promise<void> {
    await this.teardown(await this.setup(network));
    for (const samples of Object.values(this.steps)) samples.pop();
  }

  async measure(network: Network, count: number): Promise<Samples> {
    const up: number[] = [];
    const down: number[] = [];
    const start = now();
    for (let i = 0; i < count; i++) {
      const t0 = now();
      const lifecycle = await this.setup(network);
      const t1 = now();
      await this.teardown(lifecycle);
      up.push(t1 - t0);
      down.push(now() - t1);
    }
    return { up, down, wallMs: now() - start };
  }

  /** Lifecycles per second with `clients` of them in flight at a time, `count` in all. */
  async throughput(network: Network, clients: number, count: number): Promise<number> {
    let claimed = 0;
    const start = now();
    // Each client claims a lifecycle before it runs it, so exactly `count` run in all.
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (claimed++ < count) await this.teardown(await this.setup(network));
      }),
    );
    return count / ((now() - start) / 1000);
  }
}

function netavarkPeer(host: Netns, binary: string, configDir: string): Peer {
  const networkId = randomBytes(32).toString('hex');
  let next = 2;
  const ips = new Map<string, string>();
  const options = (container: string): string =>
    JSON.stringify({
      container_id: container,
      container_name: container,
      networks: { wnbench: { interface_name: 'eth0', static_ips: [ips.get(container)] } },
      network_info: {
        wnbench: {
          dns_enabled: false,
          driver: 'bridge',
          id: networkId,
          internal: false,
          ipv6_enabled: false,
          name: 'wnbench',
          network_interface: 'navbr0',
          subnets: [{ subnet: '10.201.0.0/16', gateway: '10.201.0.1' }],
        },
      },
      port_mappings: [],
    });
  const call = (command: string, container: string, netns: string): void => {
    runIn(host, binary, ['--config', configDir, command, netns], options(container), { PATH: process.env.PATH });
  };
  return {
    add: (container, netns) => {
      const n = next++;
      ips.set(container, `10.201.${n >> 8}.${n & 255}`);
      call('setup', container, netns);
    },
    del: (container, netns) => {
      call('teardown', container, netns);
      ips.delete(container);
    },
  };
}

/** A peer's samples: setup = create the namespace + ADD; teardown = DEL + delete the namespace. */
class PeerSamples {
  readonly up: number[] = [];
  readonly down: number[] = [];

  constructor(
    private readonly peer: Peer,
    private readonly dir: string,
    private readonly prefix: string,
  ) {}

  #runs = 0;

  sample(): void {
    const [up, down] = this.#lifecycle();
    this.up.push(up);
    this.down.push(down);
  }

  /** One lifecycle whose figures are dropped: see quietThenWarm. */
  warmUp(): void {
    this.#lifecycle();
  }

  #lifecycle(): [number, number] {
    const container = `${this.prefix}${this.#runs++}`;
    const t0 = now();
    const netns = createNetns(this.dir, container);
    let t1 = t0;
    try {
      this.peer.add(container, netns.path as string);
      t1 = now();
      this.peer.del(container, netns.path as string);
    } finally {
      deleteNetns(netns);
    }
    return [t1 - t0, now() - t1];
  }
}

/**
 * Each tool's turn starts on a quiet machine (quiet.ts), then with untimed lifecycles of that
 * tool for at least WARM_UP_MS (one, for the peers, whose lifecycles take longer): a VM runs its
 * first milliseconds after an idle spell far slower (bench/RESULTS.md), so timed cold, each peer
 * sample and each wasmnet chunk's first lifecycles would measure the VM waking up, not the tool. The warm-up is the same time for every tool, not the same count.
 */
const WARM_UP_MS = 50;

export async function quietThenWarm(warmUp: () => Promise<void> | void): Promise<void> {
  await quietMachine();
  const start = now();
  do await warmUp();
  while (now() - start < WARM_UP_MS);
}

/** Waits until the kernel has freed the namespaces deleted so far (their host-side veths go then). */
async function settle(host: Netns, alive: number): Promise<void> {
  const rtnl = new Rtnl(host);
  for (let i = 0; i < 600 && rtnl.linkList().filter((link) => link.kind === 'veth').length > alive; i++)
    await sleep(50);
}

/** --cpu-prof DIR: a V8 CPU profile of the measured wasmnet loop, written to DIR. */
async function profiled<T>(dir: string | undefined, name: string, task: () => Promise<T>): Promise<T> {
  if (dir === undefined) return task();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await task();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

export function run(options: BenchOptions): Promise<BenchReport> {
  return withTmpfsWorkDir(`/run/wasmnet-bench-endpoints-${process.pid}`, (dir) => measure(options, dir));
}

async function measure(options: BenchOptions, dir: string): Promise<BenchReport> {
  const samples = numberOption(options.args, 'samples', 500);
  const clients = numberOption(options.args, 'clients', 4);
  const throughputSamples = numberOption(options.args, 'throughput-samples', 1500);
  const scale = numberOption(options.args, 'scale', 5000);
  const networkCount = numberOption(options.args, 'networks', 10);
  const peerCount = numberOption(options.args, 'peer-samples', 30);
  const profileDir = stringOption(options.args, 'cpu-prof');
  const netnsDir = join(dir, 'netns');
  const host = createNetns(join(dir, 'host'), 'host', (ns) => sysctlSet(ns, 'disable-ipv6', undefined, '1'));
  const controller = await Controller.create({ dataDir: join(dir, 'data'), netnsDir, hostNetns: host.path as string });
  const alive: Lifecycle[] = [];
  const lifecycles = new Lifecycles(controller);
  try {
    const networks: Network[] = [];
    for (let i = 0; i < networkCount; i++) {
      networks.push(
        await controller.newNetwork('bridge', `net${i}`, { ipam: { config: [{ subnet: `10.${10 + i}.0.0/16` }] } }),
      );
    }
    const first = networks[0] as Network;
    await lifecycles.measure(first, 50); // warm-up (JIT)
    await settle(host, 0);
    const cni = cniAvailable() ? new PeerSamples(cniBridge(host, join(dir, 'cni-ipam')), netnsDir, 'cni') : undefined;
    const netavark = NETAVARK_PATHS.find((path) => existsSync(path));
    const nav =
      netavark === undefined
        ? undefined
        : new PeerSamples(netavarkPeer(host, netavark, join(dir, 'netavark')), netnsDir, 'nav');
    const floor = floorAvailable() ? new Floor(host, join(dir, 'floor')) : undefined;
    const floorPerChunk = Math.ceil(samples / peerCount);
    // wasmnet's samples in chunks, each followed by one sample of each peer (and as many of the
    // floor's as wasmnet's, its lifecycles being as short): all of them see the
    // same drift of the machine (2 shared CPUs) over the run. Each turn starts on a quiet machine
    // (see quiet.ts), not in the kernel's aftermath of the turn before.
    for (const samples of Object.values(lifecycles.steps)) samples.length = 0;
    const start = await profiled(profileDir, 'endpoints', async () => {
      const all: Samples = { up: [], down: [], wallMs: 0 };
      for (let chunk = 0; chunk < peerCount; chunk++) {
        await quietThenWarm(() => lifecycles.warmUp(first));
        const part = await lifecycles.measure(first, Math.ceil(samples / peerCount));
        all.up.push(...part.up);
        all.down.push(...part.down);
        all.wallMs += part.wallMs;
        for (const peer of [cni, nav]) {
          if (peer === undefined) continue;
          await quietThenWarm(() => peer.warmUp());
          peer.sample();
        }
        if (floor !== undefined) {
          await quietThenWarm(() => floor.run(1, true));
          floor.run(floorPerChunk);
        }
      }
      return all;
    });
    const steps = lifecycles.steps;
    const split = `endpoint ${percentile(steps.endpoint, 50).toFixed(2)} + sandbox ${percentile(steps.sandbox, 50).toFixed(2)} + join ${percentile(steps.join, 50).toFixed(2)} ms (p50s)`;

    await quietThenWarm(() => lifecycles.warmUp(first));
    const lifecyclesPerSec = await lifecycles.throughput(first, clients, throughputSamples);

    // Grow to `scale` joined endpoints spread over the networks, then measure again.
    await quietThenWarm(() => lifecycles.warmUp(first));
    const atStart = await lifecycles.measure(first, Math.max(50, Math.round(samples / 3)));
    while (alive.length < scale) alive.push(await lifecycles.setup(networks[alive.length % networkCount] as Network));
    await settle(host, alive.length);
    await quietThenWarm(() => lifecycles.warmUp(first));
    const atScale = await profiled(profileDir, 'endpoints-at-scale', () =>
      lifecycles.measure(first, Math.max(50, Math.round(samples / 3))),
    );
    for (const lifecycle of alive.splice(0)) await lifecycles.teardown(lifecycle);
    await settle(host, 0);

    const setupP50 = percentile(start.up, 50);
    const teardownP50 = percentile(start.down, 50);
    const oneAtATimePerSec = start.up.length / (start.wallMs / 1000);
    const cniSetupP50 = cni === undefined ? null : percentile(cni.up, 50);
    const navSetupP50 = nav === undefined ? null : percentile(nav.up, 50);
    const floorSetupP50 = floor === undefined ? null : percentile(floor.up, 50);
    const cost = (s: Samples): number =>
      percentile(
        s.up.map((up, i) => up + (s.down[i] as number)),
        50,
      );
    const costRatio = cost(atScale) / cost(atStart);
    // Growing to `scale` only adds endpoints: what adding one costs there, against at the start.
    const setupRatio = percentile(atScale.up, 50) / percentile(atStart.up, 50);

    const missing = (what: string, install: string): BenchRow => ({
      label: `${what} setup p50`,
      value: Number.NaN,
      unit: 'ms',
      note: `not measured (apt-get install ${install})`,
    });
    const rows: BenchRow[] = [
      {
        label: 'wasmnet setup p50 (endpoint + sandbox + join)',
        value: setupP50,
        unit: 'ms',
        note: `p99 ${percentile(start.up, 99).toFixed(3)} ms; ${split}`,
      },
      {
        label: 'wasmnet teardown p50 (sandbox delete + endpoint delete)',
        value: teardownP50,
        unit: 'ms',
        note: `p99 ${percentile(start.down, 99).toFixed(3)} ms`,
      },
      {
        label: `wasmnet lifecycles/s, ${clients} clients at a time`,
        value: lifecyclesPerSec,
        unit: '/s',
        note: `${throughputSamples} lifecycles on one network`,
      },
      {
        label: 'wasmnet lifecycles/s, one at a time',
        value: oneAtATimePerSec,
        unit: '/s',
        note: `wall clock over ${start.up.length}, peers' samples excluded`,
      },
      { label: 'wasmnet cost/lifecycle at start', value: cost(atStart), unit: 'ms' },
      {
        label: `wasmnet cost/lifecycle at ${scale} endpoints`,
        value: cost(atScale),
        unit: 'ms',
        note: `${costRatio.toFixed(2)}x the cost at start (${networkCount} networks)`,
      },
      {
        label: `wasmnet setup p50 at ${scale} endpoints`,
        value: percentile(atScale.up, 50),
        unit: 'ms',
        note: `${setupRatio.toFixed(2)}x the setup at start (${percentile(atStart.up, 50).toFixed(3)} ms)`,
      },
      cni === undefined || cniSetupP50 === null
        ? missing('CNI bridge+host-local', 'containernetworking-plugins')
        : {
            label: 'CNI bridge+host-local setup p50',
            value: cniSetupP50,
            unit: 'ms',
            note: `wasmnet ${(cniSetupP50 / setupP50).toFixed(1)}x faster; teardown p50 ${percentile(cni.down, 50).toFixed(3)} ms`,
          },
      floor === undefined || floorSetupP50 === null
        ? { label: 'C floor setup p50', value: Number.NaN, unit: 'ms', note: 'not measured: no `cc`' }
        : {
            label: 'C floor setup p50 (the netlink sequence alone)',
            value: floorSetupP50,
            unit: 'ms',
            note: `wasmnet ${(setupP50 / floorSetupP50).toFixed(2)}x the floor; teardown p50 ${percentile(floor.down, 50).toFixed(3)} ms`,
          },
      nav === undefined || navSetupP50 === null
        ? missing('netavark', 'netavark')
        : {
            label: 'netavark setup p50',
            value: navSetupP50,
            unit: 'ms',
            note: `wasmnet ${(navSetupP50 / setupP50).toFixed(1)}x faster; teardown p50 ${percentile(nav.down, 50).toFixed(3)} ms`,
          },
    ];
    return {
      rows,
      figures: {
        setupP50Ms: round(setupP50),
        setupP99Ms: round(percentile(start.up, 99)),
        teardownP50Ms: round(teardownP50),
        lifecyclesPerSec: Math.round(lifecyclesPerSec),
        oneAtATimeLifecyclesPerSec: Math.round(oneAtATimePerSec),
        clients,
        cniSetupP50Ms: cniSetupP50 === null ? null : round(cniSetupP50),
        netavarkSetupP50Ms: navSetupP50 === null ? null : round(navSetupP50),
        ratioVsCni: cniSetupP50 === null ? null : round(cniSetupP50 / setupP50),
        ratioVsNetavark: navSetupP50 === null ? null : round(navSetupP50 / setupP50),
        floorSetupP50Ms: floorSetupP50 === null ? null : round(floorSetupP50),
        ratioVsFloor: floorSetupP50 === null ? null : round(setupP50 / floorSetupP50),
        costAtStartMs: round(cost(atStart)),
        costAt5000Ms: round(cost(atScale)),
        costAt5000OverCostAtStart: round(costRatio),
        setupAt5000OverSetupAtStart: round(setupRatio),
        scale,
        samples: start.up.length,
      },
    };
  } finally {
    for (const lifecycle of alive) await lifecycles.teardown(lifecycle);
    await controller.close();
    deleteNetns(host);
  }
}
