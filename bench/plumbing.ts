// Per-endpoint plumbing: create a sandbox namespace, a veth whose peer is created in it as eth0
// with a MAC, attached to a bridge, lo and eth0 up, an IPv4 address, a default route; then
// teardown. The same sequence runs, in the same run and inside a private host namespace, with
// wasmnet (sandbox namespaces from a NetnsPool), with the CNI reference bridge + host-local
// plugins, with one `ip` command per step, and by the C floor (floor.ts: the same netlink
// sequence from C, its namespace made ahead as wasmnet's pool makes them), all in the run's own
// tmpfs (workdir.ts). wasmnet and the floor take turns in chunks, so both see the same drift.
// Options: --samples N (300), --scale N (1000 existing endpoints), --cni-samples N (30), --ip-samples N (20).
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createNetns, deleteNetns, type Netns, openNetns, Rtnl, sysctlSet } from '../host/netlink/index.js';
import { NetnsPool, Sandbox } from '../host/sandbox/index.js';
import { Floor, floorAvailable } from './floor.js';
import { numberOption } from './options.js';
import { CNI_DIR, cniAvailable, cniBridge, runIn } from './peers.js';
import { type BenchOptions, type BenchReport, type BenchRow, percentile, round } from './report.js';
import { withTmpfsWorkDir } from './workdir.js';

const BRIDGE_PORTS = 1023;
/** wasmnet's samples at 10 endpoints come in this many chunks, each followed by the floor's. */
const FLOOR_CHUNKS = 10;

function mac(n: number): string {
  return `02:42:${[(n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
}

/** Bridges of at most 1023 ports, each with its own /16. */
class Bridges {
  private bridge = -1;
  private ports = BRIDGE_PORTS;

  constructor(
    private readonly rtnl: Rtnl,
    private readonly name: string,
    private readonly net: number,
    private readonly mcastSnooping: boolean,
  ) {}

  /** The bridge, address and gateway for the next endpoint. */
  next(): { bridge: string; cidr: string; gateway: string } {
    if (this.ports >= BRIDGE_PORTS) {
      this.bridge++;
      this.ports = 0;
      // An explicit MAC, as Docker gives its bridges: otherwise the bridge takes its lowest
      // port's MAC, and each new port may change it (with the notifications that follow).
      const name = `${this.name}${this.bridge}`;
      const bridgeMac = `02:42:ff:00:${(this.net + this.bridge).toString(16).padStart(2, '0')}:01`;
      this.rtnl.linkAdd({
        name,
        kind: { tag: 'bridge' },
        bridge: { mcastSnooping: this.mcastSnooping },
        mac: bridgeMac,
        up: true,
      });
      this.rtnl.addrAdd({ link: name, cidr: `10.${this.net + this.bridge}.0.1/16`, nodad: false });
    }
    const host = ++this.ports + 1;
    const net = this.net + this.bridge;
    return {
      bridge: `${this.name}${this.bridge}`,
      cidr: `10.${net}.${host >> 8}.${host & 255}/16`,
      gateway: `10.${net}.0.1`,
    };
  }

  release(): void {
    this.ports--;
  }
}

interface Endpoint {
  sandbox: Sandbox;
  /** The host end of the veth. */
  veth: number;
}

class Wasmnet {
  private counter = 0;
  /** Setups that found a ready namespace in the pool. */
  pooled = 0;
  /** Namespace file deletions still running on the pool's worker. */
  readonly deleting: Promise<void>[] = [];

  constructor(
    private readonly dir: string,
    private readonly host: Netns,
    private readonly prefix: string,
    private bridges: Bridges,
    private readonly pool: NetnsPool,
  ) {}

  /** Later endpoints go on these bridges. */
  use(bridges: Bridges): void {
    this.bridges = bridges;
  }

  setup(): Endpoint {
    const id = this.counter++;
    const rtnl = new Rtnl(this.host);
    const { bridge, cidr, gateway } = this.bridges.next();
    if (this.pool.ready > 0) this.pooled++;
    const sandbox = Sandbox.create({ dir: this.dir, key: `${this.prefix}-${id}`, pool: this.pool });
    // Host-side names stay unique: a deleted namespace's veth lingers until the kernel frees it.
    const veth = rtnl.linkAdd({
      name: `wv${id.toString(36)}`,
      kind: { tag: 'veth', val: { name: 'eth0', netns: sandbox.netns, mac: mac(id) } },
      master: bridge,
      up: true,
    });
    sandbox.addInterface({ srcName: 'eth0', srcIndex: veth.linkIndex, dstName: 'eth0', addresses: [cidr], gateway });
    return { sandbox, veth: veth.index };
  }

  /** Releases the bridge port now (the kernel's namespace cleanup would do it later, holding
   * the rtnl lock, and until then the port counts against the bridge's 1023), then deletes the
   * namespace, which takes the veth pair with it. */
  teardown(endpoint: Endpoint): void {
    new Rtnl(this.host)
      .batch()
      .linkSet(endpoint.veth, { master: { tag: 'unset' } })
      .commit();
    this.deleting.push(endpoint.sandbox.destroy());
    this.bridges.release();
  }
}

function timed(fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Setup and teardown samples of `count` endpoints, and the wall time of the whole loop. */
function measure(
  count: number,
  setup: () => Endpoint,
  teardown: (e: Endpoint) => void,
): { up: number[]; down: number[]; total: number[]; wallMs: number } {
  const up: number[] = [];
  const down: number[] = [];
  const total: number[] = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    let endpoint: Endpoint | undefined;
    const upMs = timed(() => {
      endpoint = setup();
    });
    const downMs = timed(() => teardown(endpoint as Endpoint));
    up.push(upMs);
    down.push(downMs);
    total.push(upMs + downMs);
  }
  return { up, down, total, wallMs: Number(process.hrtime.bigint() - start) / 1e6 };
}

function cniSamples(
  count: number,
  dir: string,
  host: Netns,
  prefix: string,
  ipamDir: string,
): { up: number[]; down: number[] } {
  const cni = cniBridge(host, ipamDir);
  const up: number[] = [];
  const down: number[] = [];
  for (let i = 0; i < count; i++) {
    const key = `${prefix}-cni${i}`;
    let netns: Netns | undefined;
    up.push(
      timed(() => {
        netns = createNetns(dir, key);
        cni.add(key, netns.path as string);
      }),
    );
    down.push(
      timed(() => {
        cni.del(key, (netns as Netns).path as string);
        deleteNetns(netns as Netns);
      }),
    );
  }
  return { up, down };
}

function ipSamples(count: number, dir: string, host: Netns, prefix: string): { up: number[]; down: number[] } {
  const ip = (...args: string[]): string => runIn(host, 'ip', args);
  ip('link', 'add', 'ipbr0', 'type', 'bridge');
  ip('addr', 'add', '10.201.0.1/16', 'dev', 'ipbr0');
  ip('link', 'set', 'ipbr0', 'up');
  const up: number[] = [];
  const down: number[] = [];
  for (let i = 0; i < count; i++) {
    // `ip netns add` only knows /run/netns; `unshare --net=FILE` is the same step under our dir.
    const path = join(dir, `${prefix}-ip${i}`);
    const veth = `wi${i.toString(36)}`;
    up.push(
      timed(() => {
        writeFileSync(path, '');
        runIn(host, 'unshare', [`--net=${path}`, 'true']);
        ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', path);
        ip('link', 'set', veth, 'master', 'ipbr0', 'up');
        const sandbox = openNetns(path);
        const inSandbox = (...args: string[]): string => runIn(sandbox, 'ip', args);
        inSandbox('link', 'set', 'lo', 'up');
        inSandbox('link', 'set', 'eth0', 'address', mac(i), 'up');
        inSandbox('addr', 'add', `10.201.${(i + 2) >> 8}.${(i + 2) & 255}/16`, 'dev', 'eth0');
        inSandbox('route', 'add', 'default', 'via', '10.201.0.1');
        sandbox.close();
      }),
    );
    down.push(
      timed(() => {
        runIn(host, 'umount', [path]);
        rmSync(path);
      }),
    );
  }
  return { up, down };
}

function removeAll(dir: string): void {
  if (!existsSync(dir)) return;
  for (const file of readdirSync(dir)) {
    try {
      deleteNetns(join(dir, file));
    } catch {
      rmSync(join(dir, file), { force: true });
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

export function run(options: BenchOptions): Promise<BenchReport> {
  return withTmpfsWorkDir(`/run/wasmnet-bench-plumbing-${process.pid}`, (workDir) => measureAll(options, workDir));
}

async function measureAll(options: BenchOptions, workDir: string): Promise<BenchReport> {
  const samples = numberOption(options.args, 'samples', 300);
  const scale = numberOption(options.args, 'scale', 1000);
  const cniCount = numberOption(options.args, 'cni-samples', 30);
  const ipCount = numberOption(options.args, 'ip-samples', 20);
  const prefix = `wnb-${process.pid}`;
  const dir = join(workDir, 'netns');
  const ipamDir = join(workDir, 'ipam');
  const host = createNetns(dir, `${prefix}-host`, (ns) => sysctlSet(ns, 'disable-ipv6', undefined, '1'));
  const alive: Endpoint[] = [];
  const pool = new NetnsPool(16);
  let wasmnet: Wasmnet | undefined;
  try {
    // Bridges with multicast snooping off (the host's setting for its bridges), then the kernel
    // default (on) for comparison at scale.
    const rtnl = new Rtnl(host);
    const endpoints = new Wasmnet(dir, host, prefix, new Bridges(rtnl, 'wbr', 0, false), pool);
    wasmnet = endpoints;
    const setup = (): Endpoint => endpoints.setup();
    const teardown = (e: Endpoint): void => endpoints.teardown(e);
    const scaleSamples = Math.max(50, Math.round(samples / 3));
    const grow = (count: number): void => {
      while (alive.length < count) alive.push(setup());
    };
    const drain = (): void => {
      for (const endpoint of alive.splice(0)) teardown(endpoint);
    };
    // Before each measured phase, let the kernel finish freeing the namespaces deleted so far
    // (their host-side veths vanish then), so one phase's backlog does not land on the next.
    const settle = async (): Promise<void> => {
      await Promise.allSettled(endpoints.deleting.splice(0));
      for (let i = 0; i < 300 && rtnl.linkList().filter((l) => l.name.startsWith('wv')).length > alive.length; i++)
        await sleep(50);
    };
    measure(30, setup, teardown); // warm-up (JIT)
    grow(10);
    await settle();
    endpoints.pooled = 0;
    const floor = floorAvailable() ? new Floor(host, join(workDir, 'floor')) : undefined;
    floor?.run(20, true);
    const at10 = { up: [] as number[], down: [] as number[], total: [] as number[], wallMs: 0 };
    for (let chunk = 0; chunk < FLOOR_CHUNKS; chunk++) {
      const part = measure(Math.ceil(samples / FLOOR_CHUNKS), setup, teardown);
      at10.up.push(...part.up);
      at10.down.push(...part.down);
      at10.total.push(...part.total);
      at10.wallMs += part.wallMs;
      floor?.run(Math.ceil(samples / FLOOR_CHUNKS));
    }
    const pooledShare = endpoints.pooled / at10.up.length;
    grow(scale);
    await settle();
    endpoints.pooled = 0;
    const atScale = measure(scaleSamples, setup, teardown);
    const pooledShareAtScale = endpoints.pooled / scaleSamples;
    drain();
    endpoints.use(new Bridges(rtnl, 'wsn', 100, true));
    grow(10);
    await settle();
    const snoop10 = measure(scaleSamples, setup, teardown);
    grow(scale);
    await settle();
    const snoopScale = measure(scaleSamples, setup, teardown);
    drain();
    await settle();

    const cni = cniAvailable() ? cniSamples(cniCount, dir, host, prefix, ipamDir) : undefined;
    const ip = ipSamples(ipCount, dir, host, prefix);

    const setupP50 = percentile(at10.up, 50);
    const teardownP50 = percentile(at10.down, 50);
    const cniSetupP50 = cni ? percentile(cni.up, 50) : null;
    const ipSetupP50 = percentile(ip.up, 50);
    const costAt10 = percentile(at10.total, 50);
    const costAtScale = percentile(atScale.total, 50);
    const snoopRatio = percentile(snoopScale.total, 50) / percentile(snoop10.total, 50);
    const endpointsPerSec = at10.up.length / (at10.wallMs / 1000);
    const ratioVsCni = cniSetupP50 === null ? null : cniSetupP50 / setupP50;
    const ratioVsIp = ipSetupP50 / setupP50;
    const floorSetupP50 = floor === undefined ? null : percentile(floor.up, 50);
    const ratioVsFloor = floorSetupP50 === null ? null : setupP50 / floorSetupP50;
    const rows: BenchRow[] = [
      { label: 'wasmnet setup p50', value: setupP50, unit: 'ms', note: `p99 ${percentile(at10.up, 99).toFixed(3)} ms` },
      {
        label: 'wasmnet teardown p50',
        value: teardownP50,
        unit: 'ms',
        note: 'release the bridge port; the namespace file goes on the pool worker',
      },
      {
        label: 'setups served by the namespace pool',
        value: pooledShare * 100,
        unit: '%',
        note: `${Math.round(pooledShareAtScale * 100)}% at ${scale}; the others unshared on the main thread (pool of ${pool.size})`,
      },
      {
        label: 'wasmnet endpoints/s (setup+teardown)',
        value: endpointsPerSec,
        unit: '/s',
        note: `wall clock over ${at10.up.length}; ${Math.round(1000 / costAt10)}/s from the p50 cost`,
      },
      { label: `wasmnet cost/endpoint at 10 existing`, value: costAt10, unit: 'ms' },
      {
        label: `wasmnet cost/endpoint at ${scale} existing`,
        value: costAtScale,
        unit: 'ms',
        note: `${(costAtScale / costAt10).toFixed(2)}x the cost at 10; setup p50 ${percentile(atScale.up, 50).toFixed(3)} ms, teardown p50 ${percentile(atScale.down, 50).toFixed(3)} ms`,
      },
      {
        label: `  same, bridges with mcast snooping on`,
        value: percentile(snoopScale.total, 50),
        unit: 'ms',
        note: `${snoopRatio.toFixed(2)}x the cost at 10 (${percentile(snoop10.total, 50).toFixed(3)} ms)`,
      },
      cni
        ? {
            label: 'CNI bridge+host-local setup p50',
            value: cniSetupP50 as number,
            unit: 'ms',
            note: `wasmnet ${(ratioVsCni as number).toFixed(1)}x faster`,
          }
        : {
            label: 'CNI bridge+host-local setup p50',
            value: Number.NaN,
            unit: 'ms',
            note: `not measured: ${CNI_DIR}/bridge missing (apt-get install containernetworking-plugins)`,
          },
      ...(cni ? [{ label: 'CNI bridge+host-local teardown p50', value: percentile(cni.down, 50), unit: 'ms' }] : []),
      {
        label: '`ip` per step setup p50',
        value: ipSetupP50,
        unit: 'ms',
        note: `wasmnet ${ratioVsIp.toFixed(1)}x faster`,
      },
      { label: '`ip` per step teardown p50', value: percentile(ip.down, 50), unit: 'ms' },
      floor === undefined || floorSetupP50 === null
        ? { label: 'C floor setup p50', value: Number.NaN, unit: 'ms', note: 'not measured: no `cc`' }
        : {
            label: 'C floor setup p50',
            value: floorSetupP50,
            unit: 'ms',
            note: `wasmnet ${(ratioVsFloor as number).toFixed(2)}x the floor; teardown p50 ${percentile(floor.down, 50).toFixed(3)} ms`,
          },
    ];
    return {
      rows,
      figures: {
        setupP50Ms: round(setupP50),
        setupP99Ms: round(percentile(at10.up, 99)),
        teardownP50Ms: round(teardownP50),
        endpointsPerSec: Math.round(endpointsPerSec),
        endpointsPerSecFromP50: Math.round(1000 / costAt10),
        pooledShare: round(pooledShare),
        pooledShareAt1000: round(pooledShareAtScale),
        cniSetupP50Ms: cniSetupP50 === null ? null : round(cniSetupP50),
        cniTeardownP50Ms: cni ? round(percentile(cni.down, 50)) : null,
        ipSetupP50Ms: round(ipSetupP50),
        ipTeardownP50Ms: round(percentile(ip.down, 50)),
        ratioVsCni: ratioVsCni === null ? null : round(ratioVsCni),
        ratioVsIp: round(ratioVsIp),
        floorSetupP50Ms: floorSetupP50 === null ? null : round(floorSetupP50),
        floorTeardownP50Ms: floor === undefined ? null : round(percentile(floor.down, 50)),
        ratioVsFloor: ratioVsFloor === null ? null : round(ratioVsFloor),
        costAt10Ms: round(costAt10),
        costAt1000Ms: round(costAtScale),
        costAt1000OverCostAt10: round(costAtScale / costAt10),
        setupP50At1000Ms: round(percentile(atScale.up, 50)),
        teardownP50At1000Ms: round(percentile(atScale.down, 50)),
        costAt1000OverCostAt10McastSnooping: round(snoopRatio),
        scale,
        samples: at10.up.length,
      },
    };
  } finally {
    for (const endpoint of alive) wasmnet?.deleting.push(endpoint.sandbox.destroy());
    await Promise.allSettled(wasmnet?.deleting ?? []);
    await pool.close();
    removeAll(dir);
  }
}
