// `npm run bench -- engines`: a real dockerd (started here with private roots, inside a private
// namespace, as test/engines does) runs `docker run --rm` on a wasmnet network (the Docker
// plugin of a wasmnet daemon) and on Docker's own bridge network, alternating, in the same run;
// then podman and the CNI plugin (engines-cni.ts); then the API's round trip for `network
// inspect` to that daemon over its unix socket. Without docker or podman installed, their
// figures are null and the rest is still measured.
import { rmSync } from 'node:fs';
import { ApiClient } from '../host/api/client.js';
import type { NetworkView } from '../host/api/port.js';
import { DOCKER_PLUGINS_DIR } from '../host/api/docker/server.js';
import {
  dockerInstalled,
  IMAGE,
  importBusybox,
  removeAll,
  startDocker,
  type DockerEngine,
} from '../test/engines/docker.js';
import { EngineHost } from '../test/engines/engine-host.js';
import { podmanMissing } from '../test/engines/podman.js';
import { type CniFigures, cniRows, measureCni } from './engines-cni.js';
import { alternatingMedians, percentile, type BenchOptions, type BenchReport, type BenchRow } from './report.js';

const RUNS = 21;
const WARMUP_RUNS = 2;
const INSPECT_WARMUP = 200;
const INSPECT_SAMPLES = 2000;

export async function run(_options: BenchOptions): Promise<BenchReport> {
  const host = EngineHost.create('bench');
  const plugin = `wasmnet-b${process.pid}`;
  let engine: DockerEngine | undefined;
  try {
    const daemon = await host.runWasmnet(plugin);
    const socket = host.path('wasmnet.sock');
    const client = new ApiClient(socket);
    let docker: { wasmnet: number; builtin: number } | undefined;
    if (dockerInstalled()) {
      engine = await startDocker(host);
      importBusybox(host, engine);
      docker = dockerRuns(engine, plugin);
    } else {
      await client.post('/v1/networks', {
        name: 'bench',
        driver: 'bridge',
        ipam: { config: [{ subnet: '10.98.0.0/24' }] },
      });
    }
    const cni: CniFigures | undefined = podmanMissing ? undefined : await measureCni(host);
    const inspect = await inspectRoundTrips(client);
    const rows: BenchRow[] = [];
    if (docker !== undefined) {
      rows.push(
        {
          label: 'docker run --rm, wasmnet network (median)',
          value: docker.wasmnet,
          unit: 'ms',
          note: `${(docker.wasmnet / docker.builtin).toFixed(3)}x Docker's bridge (target ≤ 1x)`,
        },
        { label: "docker run --rm, Docker's bridge (median)", value: docker.builtin, unit: 'ms' },
        ...pluginCallRows(host.log(daemon)),
      );
    }
    if (cni !== undefined) rows.push(...cniRows(cni));
    rows.push(
      { label: 'API network inspect p50', value: inspect.p50, unit: 'ms', note: 'target ≤ 1 ms' },
      { label: 'API network inspect p99', value: inspect.p99, unit: 'ms' },
    );
    return {
      rows,
      figures: {
        dockerRunWasmnetMs: docker?.wasmnet ?? null,
        dockerRunBuiltinMs: docker?.builtin ?? null,
        ratioVsBuiltin: docker === undefined ? null : docker.wasmnet / docker.builtin,
        podmanRunWasmnetMs: cni?.podman.wasmnet ?? null,
        podmanRunBridgeMs: cni?.podman.bridge ?? null,
        podmanRunRatio: cni === undefined ? null : cni.podman.wasmnet / cni.podman.bridge,
        cniAddP50Ms: cni?.add.wasmnet ?? null,
        cniAddBridgePluginP50Ms: cni?.add.bridge ?? null,
        cniRatioVsBridgePlugin: cni === undefined ? null : cni.add.bridge / cni.add.wasmnet,
        cniStartMs: cni?.start.plugin ?? null,
        apiInspectP50Ms: inspect.p50,
        apiInspectP99Ms: inspect.p99,
      },
    };
  } finally {
    if (engine !== undefined) removeAll(engine);
    await host.cleanup();
    rmSync(`${DOCKER_PLUGINS_DIR}/${plugin}.sock`, { force: true });
  }
}

/** Medians of `docker run --rm` on each network, alternating. */
function dockerRuns(engine: DockerEngine, plugin: string): { wasmnet: number; builtin: number } {
  engine.docker('network', 'create', '-d', plugin, '--ipam-driver', plugin, '--subnet', '10.96.0.0/24', 'wnet');
  engine.docker('network', 'create', '-d', 'bridge', '--subnet', '10.97.0.0/24', 'builtin');
  const run = (network: string) => () => engine.docker('run', '--rm', '--network', network, IMAGE, 'true');
  const [wasmnet, builtin] = alternatingMedians(run('wnet'), run('builtin'), RUNS, WARMUP_RUNS);
  return { wasmnet, builtin };
}

/** Where wasmnet's share of a `docker run` goes: the plugin calls' medians, from the daemon's debug log. */
function pluginCallRows(log: string): BenchRow[] {
  const calls = new Map<string, number[]>();
  for (const line of log.split('\n')) {
    if (!line.includes('"docker plugin call"')) continue;
    const { method, ms } = JSON.parse(line) as { method: string; ms: number };
    calls.set(method, [...(calls.get(method) ?? []), ms]);
  }
  return ['CreateEndpoint', 'Join', 'Leave', 'DeleteEndpoint'].map((name) => ({
    label: `  plugin ${name} (median)`,
    value: percentile(calls.get(`/NetworkDriver.${name}`) ?? [], 50),
    unit: 'ms',
  }));
}

/** GET /v1/networks/<id> round trips to the daemon process. */
async function inspectRoundTrips(client: ApiClient): Promise<{ p50: number; p99: number }> {
  const [network] = await client.get<NetworkView[]>('/v1/networks');
  if (network === undefined) throw new Error('the daemon has no network to inspect');
  const path = `/v1/networks/${network.id}`;
  for (let i = 0; i < INSPECT_WARMUP; i += 1) await client.get(path);
  const samples: number[] = [];
  for (let i = 0; i < INSPECT_SAMPLES; i += 1) {
    const started = performance.now();
    await client.get(path);
    samples.push(performance.now() - started);
  }
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}
