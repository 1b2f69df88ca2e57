// The CNI half of `npm run bench -- engines`, in the same EngineHost as the Docker half: podman
// (CNI backend) runs `podman run --rm` on a wasmnet CNI network and on a bridge network podman
// made itself, alternating; then ADD alone, wasmnet-cni (the plugin `npm run install-cli`
// installs: the C forwarder to the daemon's POST /v1/cni) against the `bridge` + `host-local`
// reference plugins, each into a fresh namespace; and the plugin's start alone (Node's start,
// the Node plugin's modules, the installed plugin's VERSION).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNetns, deleteNetns, openNetns } from '../host/netlink/index.js';
import type { EngineHost } from '../test/engines/engine-host.js';
import { installCli, PODMAN_IMAGE, startPodman, type PodmanEngine } from '../test/engines/podman.js';
import { CNI_DIR, cniBridge, cniPlugin, type Peer } from './peers.js';
import { quietMachine } from './quiet.js';
import { alternatingMedians, percentile, type BenchRow } from './report.js';

const PODMAN_RUNS = 11;
const PODMAN_WARMUP_RUNS = 2;
const ADD_RUNS = 21;
const START_RUNS = 21;
const CNI_MAIN = fileURLToPath(new URL('../host/cni/main.js', import.meta.url));

export interface CniFigures {
  podman: { wasmnet: number; bridge: number };
  add: { wasmnet: number; bridge: number };
  del: { wasmnet: number; bridge: number };
  start: { node: number; plugin: number; launcher: number; bridge: number };
}

export async function measureCni(host: EngineHost): Promise<CniFigures> {
  const engine = startPodman(host);
  installCli(host, engine);
  const launcher = join(engine.binDir, 'wasmnet');
  const socket = host.path('wasmnet.sock');
  writeFileSync(
    join(engine.confDir, 'wnet.conflist'),
    JSON.stringify({
      cniVersion: '1.0.0',
      name: 'wnet',
      plugins: [{ type: 'wasmnet', socket, subnet: '10.95.0.0/24' }],
    }),
  );
  // podman's own: bridge, portmap, firewall and tuning, as `podman network create` writes them.
  engine.podman('network', 'create', '--subnet', '10.99.0.0/24', 'pbridge');
  const podman = podmanRuns(engine);
  const hostNs = openNetns(host.netns);
  const [add, del] = await addTimes(host, {
    wasmnet: cniPlugin(hostNs, launcher, {
      cniVersion: '1.0.0',
      name: 'cnibench',
      type: 'wasmnet',
      socket,
      subnet: '10.93.0.0/24',
    }),
    bridge: cniBridge(hostNs, host.path('cni-ipam'), '10.92.0.0/24'),
  });
  return { podman, add, del, start: startTimes(launcher) };
}

export function cniRows(cni: CniFigures): BenchRow[] {
  return [
    {
      label: 'podman run --rm, wasmnet CNI network (median)',
      value: cni.podman.wasmnet,
      unit: 'ms',
      note: `${(cni.podman.wasmnet / cni.podman.bridge).toFixed(3)}x podman's CNI bridge (target ≤ 1x)`,
    },
    { label: "podman run --rm, podman's CNI bridge (median)", value: cni.podman.bridge, unit: 'ms' },
    {
      label: 'CNI ADD, wasmnet-cni (p50)',
      value: cni.add.wasmnet,
      unit: 'ms',
      note: `bridge + host-local: ${cni.add.bridge.toFixed(1)} ms (ratio ${(cni.add.bridge / cni.add.wasmnet).toFixed(3)}, target ≥ 1)`,
    },
    {
      label: 'CNI DEL, wasmnet-cni (p50)',
      value: cni.del.wasmnet,
      unit: 'ms',
      note: `bridge + host-local: ${cni.del.bridge.toFixed(1)} ms`,
    },
    { label: '  start: node -e 0 (median)', value: cni.start.node, unit: 'ms' },
    { label: '  start: wasmnet-cni VERSION in Node (median)', value: cni.start.plugin, unit: 'ms' },
    { label: '  start: installed plugin VERSION, no Node (median)', value: cni.start.launcher, unit: 'ms' },
    { label: '  start: bridge plugin VERSION (median)', value: cni.start.bridge, unit: 'ms' },
  ];
}

/** Medians of `podman run --rm` on each network, alternating. */
function podmanRuns(engine: PodmanEngine): { wasmnet: number; bridge: number } {
  const run = (network: string) => () => engine.podman('run', '--rm', '--network', network, PODMAN_IMAGE, 'true');
  const [wasmnet, bridge] = alternatingMedians(run('wnet'), run('pbridge'), PODMAN_RUNS, PODMAN_WARMUP_RUNS);
  return { wasmnet, bridge };
}

type Pair<T> = { wasmnet: T; bridge: T };

/** p50s of ADD and of DEL, each plugin into a fresh namespace per sample, turns alternating. */
async function addTimes(host: EngineHost, peers: Pair<Peer>): Promise<[Pair<number>, Pair<number>]> {
  const dir = host.path('cni-containers');
  mkdirSync(dir, { recursive: true });
  const adds: Pair<number[]> = { wasmnet: [], bridge: [] };
  const dels: Pair<number[]> = { wasmnet: [], bridge: [] };
  const sample = async (which: keyof Pair<Peer>, i: number): Promise<void> => {
    const container = `${which}${i}`;
    const netns = createNetns(dir, container);
    try {
      await quietMachine(0.85, 100, 1000);
      const t0 = performance.now();
      peers[which].add(container, netns.path as string);
      const t1 = performance.now();
      peers[which].del(container, netns.path as string);
      // The first of each is a warm-up (page cache, the daemon's first network).
      if (i > 0) {
        adds[which].push(t1 - t0);
        dels[which].push(performance.now() - t1);
      }
    } finally {
      deleteNetns(netns);
    }
  };
  for (let i = 0; i <= ADD_RUNS; i += 1) {
    const order: Array<keyof Pair<Peer>> = i % 2 === 0 ? ['wasmnet', 'bridge'] : ['bridge', 'wasmnet'];
    for (const which of order) await sample(which, i);
  }
  const p50 = (samples: Pair<number[]>): Pair<number> => ({
    wasmnet: percentile(samples.wasmnet, 50),
    bridge: percentile(samples.bridge, 50),
  });
  return [p50(adds), p50(dels)];
}

/** Medians of one process start each: bare Node, the plugin's VERSION in Node, the launcher's, the bridge plugin's. */
function startTimes(launcher: string): CniFigures['start'] {
  const median = (command: string, args: string[]): number => {
    const samples: number[] = [];
    for (let i = 0; i < START_RUNS; i += 1) {
      const started = performance.now();
      const result = spawnSync(command, args, { env: { CNI_COMMAND: 'VERSION' }, input: '{"cniVersion":"1.0.0"}' });
      samples.push(performance.now() - started);
      if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
    }
    return percentile(samples, 50);
  };
  return {
    node: median(process.execPath, ['-e', '0']),
    plugin: median(process.execPath, [CNI_MAIN]),
    launcher: median(launcher, []),
    bridge: median(join(CNI_DIR, 'bridge'), []),
  };
}
