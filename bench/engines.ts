// `npm run bench -- engines`: a real dockerd (started here with private roots, inside a private
// namespace, as test/engines does) runs `docker run --rm` on a wasmnet network (the Docker
// plugin of a wasmnet daemon) and on Docker's own bridge network, alternating, in the same run;
// then the API's round trip for `network inspect` to that daemon over its unix socket.
// Without docker installed, the docker figures are null and the API is still measured.
import { existsSync, rmSync } from 'node:fs';
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
import { EngineHost, waitUntil } from '../test/engines/engine-host.js';
import { percentile, type BenchOptions, type BenchReport, type BenchRow } from './report.js';

const RUNS = 21;
const WARMUP_RUNS = 2;
const INSPECT_WARMUP = 200;
const INSPECT_SAMPLES = 2000;

export async function run(_options: BenchOptions): Promise<BenchReport> {
  const host = EngineHost.create('bench');
  const plugin = `wasmnet-b${process.pid}`;
  let engine: DockerEngine | undefined;
  try {
    const daemon = host.startWasmnet(plugin);
    const socket = host.path('wasmnet.sock');
    await waitUntil(
      'wasmnet',
      () => existsSync(socket) && existsSync(`${DOCKER_PLUGINS_DIR}/${plugin}.sock`),
      () => host.log(daemon),
    );
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
    const inspect = await inspectRoundTrips(client);
    const rows: BenchRow[] = [];
    if (docker !== undefined) {
      rows.push(
        {
          label: 'docker run --rm, wasmnet network (median)',
          value: docker.wasmnet,
          unit: 'ms',
          note: `${(docker.wasmnet / docker.builtin).toFixed(3)}x Docker's bridge (target ≤ 1.05x)`,
        },
        { label: "docker run --rm, Docker's bridge (median)", value: docker.builtin, unit: 'ms' },
        ...pluginCallRows(host.log(daemon)),
      );
    }
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

/** Medians of `docker run --rm` on each network, the two alternating so drift hits both alike. */
function dockerRuns(engine: DockerEngine, plugin: string): { wasmnet: number; builtin: number } {
  engine.docker('network', 'create', '-d', plugin, '--ipam-driver', plugin, '--subnet', '10.96.0.0/24', 'wnet');
  engine.docker('network', 'create', '-d', 'bridge', '--subnet', '10.97.0.0/24', 'builtin');
  const time = (network: string): number => {
    const started = performance.now();
    engine.docker('run', '--rm', '--network', network, IMAGE, 'true');
    return performance.now() - started;
  };
  for (let i = 0; i < WARMUP_RUNS; i += 1) {
    time('wnet');
    time('builtin');
  }
  const wasmnet: number[] = [];
  const builtin: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    if (i % 2 === 0) {
      wasmnet.push(time('wnet'));
      builtin.push(time('builtin'));
    } else {
      builtin.push(time('builtin'));
      wasmnet.push(time('wnet'));
    }
  }
  return { wasmnet: percentile(wasmnet, 50), builtin: percentile(builtin, 50) };
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
