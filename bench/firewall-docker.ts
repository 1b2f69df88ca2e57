// bench/firewall's figures against a stock dockerd (test/engines' stock world: its defaults,
// inside a private namespace, a wasmnet daemon serving it as a plugin), all in the same run:
// - `docker run --rm -p` on a wasmnet network against the same on Docker's own bridge;
// - bulk TCP through a published port (a Node sender in the host namespace, a Node sink inside
//   the container's namespace) against Docker's userland proxy (docker-proxy, which carries
//   what the host sends to 127.0.0.1) on its own bridge; Docker's in-kernel DNAT is shown too;
// - a container name asked from inside a sandbox (wasmnet's own, through its API) against
//   Docker's embedded DNS asked from inside a container on its own network.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { ApiClient } from '../host/api/client.js';
import type { SandboxView } from '../host/api/port.js';
import { DnsClient } from '../test/dns/client.js';
import { IMAGE } from '../test/engines/docker.js';
import { waitUntil } from '../test/engines/engine-host.js';
import { HOST_IP, type StockWorld } from '../test/engines/stock-world.js';
import { quietMachine } from './quiet.js';
import { percentile } from './report.js';

interface RunFigures {
  runPublishWasmnetMs: number;
  runPublishDockerMs: number;
}

interface ThroughputFigures {
  publishedPortMBps: number;
  dockerProxyMBps: number;
  dockerDnatMBps: number;
  /** CPU seconds per GB through the published port: the Node sender and sink, and docker-proxy. */
  endpointsCpuSecondsPerGB: number;
  dockerProxyCpuSecondsPerGB: number;
}

interface DnsFigures {
  dnsWasmnetP50Ms: number;
  dnsDockerP50Ms: number;
}

export type DockerFigures = RunFigures & ThroughputFigures & DnsFigures;

const WASMNET_NET = 'bwnet';
const DOCKER_NET = 'bdnet';
const SINK_PORT = 9000;

export async function dockerFigures(
  w: StockWorld,
  o: { runs: number; transfers: number; megabytes: number; queries: number },
): Promise<DockerFigures> {
  w.network(WASMNET_NET, '10.96.0.0/24');
  w.engine.docker('network', 'create', '-d', 'bridge', '--subnet', '10.97.0.0/24', DOCKER_NET);
  await quietMachine();
  const runs = dockerRunPublish(w, o.runs);
  await quietMachine();
  const throughput = await publishedThroughput(w, o.transfers, o.megabytes);
  await quietMachine();
  const dns = await dnsQueries(w, o.queries);
  return { ...runs, ...throughput, ...dns };
}

/** Medians of `docker run --rm -p` on each network, alternating so that drift hits both alike. */
function dockerRunPublish(w: StockWorld, runs: number): RunFigures {
  const time = (network: string): number => {
    const started = performance.now();
    w.engine.docker('run', '--rm', '-p', '18080:80', '--network', network, IMAGE, 'true');
    return performance.now() - started;
  };
  time(WASMNET_NET);
  time(DOCKER_NET);
  const wasmnet: number[] = [];
  const docker: number[] = [];
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? [WASMNET_NET, DOCKER_NET] : [DOCKER_NET, WASMNET_NET];
    for (const network of order) (network === WASMNET_NET ? wasmnet : docker).push(time(network));
  }
  return { runPublishWasmnetMs: percentile(wasmnet, 50), runPublishDockerMs: percentile(docker, 50) };
}

/** Counts what each connection sends and answers the count when the sender is done. */
const SINK = `require('net').createServer((s) => { let n = 0; s.on('data', (d) => { n += d.length; }); s.on('end', () => s.end(String(n))); }).listen(${SINK_PORT}, () => console.log('ready'));`;
/** Sends argv[3] MB to argv[1]:argv[2] and prints MB/s and its CPU seconds, once the sink has counted every byte. */
const SENDER = `const [, ip, port, mb] = process.argv; const total = Number(mb) * 1e6; const chunk = Buffer.alloc(1 << 20); const s = require('net').connect(Number(port), ip); const t = process.hrtime.bigint(); let sent = 0; const pump = () => { while (sent < total) { sent += chunk.length; if (!s.write(chunk)) return; } s.end(); }; s.on('drain', pump); s.on('connect', pump); let got = ''; s.on('data', (d) => { got += d; }); s.on('end', () => { const seconds = Number(process.hrtime.bigint() - t) / 1e9; if (Number(got) < total) process.exit(3); const cpu = process.cpuUsage(); console.log(sent / 1e6 / seconds, (cpu.user + cpu.system) / 1e6); });`;

async function publishedThroughput(w: StockWorld, transfers: number, megabytes: number): Promise<ThroughputFigures> {
  const sinks: ChildProcess[] = [];
  try {
    const start = async (name: string, network: string, hostPort: number): Promise<void> => {
      w.engine.docker(
        'run',
        '-d',
        '--name',
        name,
        '--network',
        network,
        '-p',
        `${hostPort}:${SINK_PORT}`,
        IMAGE,
        'sleep',
        '600',
      );
      const sink = spawn('nsenter', [`--net=${containerNetns(w, name)}`, process.execPath, '-e', SINK], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      sinks.push(sink);
      await once(sink.stdout as NodeJS.ReadableStream, 'data');
    };
    await start('bsinkw', WASMNET_NET, 19000);
    await start('bsinkd', DOCKER_NET, 19001);
    /** MB/s and the CPU seconds the sender, the sink and docker-proxy (when it carries it) spent. */
    const send = (ip: string, port: number): { rate: number; endpoints: number; proxy: number } => {
      const sink = sinks[port === 19000 ? 0 : 1]?.pid as number;
      const [sinkBefore, proxyBefore] = [cpuSeconds(sink), cpuSeconds(proxy)];
      const [rate, sender] = w.host
        .run(process.execPath, ['-e', SENDER, ip, String(port), String(megabytes)])
        .split(' ')
        .map(Number) as [number, number];
      return { rate, endpoints: sender + cpuSeconds(sink) - sinkBefore, proxy: cpuSeconds(proxy) - proxyBefore };
    };
    const proxy = dockerProxyPid(19001);
    // The first connection through each path can race the rules being in place: wait for one.
    for (const [ip, port] of [
      [HOST_IP, 19000],
      ['127.0.0.1', 19001],
    ] as const)
      await waitUntil(
        `a transfer to ${ip}:${port}`,
        () => tries(() => send(ip, port)),
        () => w.host.log(w.wasmnet),
      );
    const paths: Record<'ours' | 'proxy' | 'dnat', [string, number]> = {
      ours: [HOST_IP, 19000],
      proxy: ['127.0.0.1', 19001],
      dnat: [HOST_IP, 19001],
    };
    const rates = { ours: [] as number[], proxy: [] as number[], dnat: [] as number[] };
    const cpu = { endpoints: 0, proxy: 0 };
    for (let i = 0; i < transfers; i++)
      for (const [path, [ip, port]] of Object.entries(paths)) {
        const sent = send(ip, port);
        rates[path as keyof typeof paths].push(sent.rate);
        if (path === 'ours') cpu.endpoints += sent.endpoints;
        if (path === 'proxy') cpu.proxy += sent.proxy;
      }
    const gigabytes = (transfers * megabytes) / 1000;
    return {
      publishedPortMBps: percentile(rates.ours, 50),
      dockerProxyMBps: percentile(rates.proxy, 50),
      dockerDnatMBps: percentile(rates.dnat, 50),
      endpointsCpuSecondsPerGB: cpu.endpoints / gigabytes,
      dockerProxyCpuSecondsPerGB: cpu.proxy / gigabytes,
    };
  } finally {
    for (const sink of sinks) sink.kill('SIGKILL');
  }
}

async function dnsQueries(w: StockWorld, queries: number): Promise<DnsFigures> {
  // wasmnet's own sandboxes, through its API: it serves their names.
  const api = new ApiClient(w.host.path('wasmnet.sock'));
  await api.post('/v1/networks', { name: 'bdns', driver: 'bridge', ipam: { config: [{ subnet: '10.95.0.0/24' }] } });
  for (const name of ['dnsa', 'dnsb']) {
    await api.post('/v1/sandboxes', { containerId: name });
    await api.post('/v1/networks/bdns/endpoints', { name });
    await api.post(`/v1/networks/bdns/endpoints/${name}/join`, { sandbox: name });
  }
  const sandbox = await api.get<SandboxView>('/v1/sandboxes/dnsa');
  // Docker's own network: its embedded DNS answers container names there.
  for (const name of ['dda', 'ddb'])
    w.engine.docker('run', '-d', '--name', name, '--network', DOCKER_NET, IMAGE, 'sleep', '600');
  const ours = new DnsClient(sandbox.key);
  const docker = new DnsClient(containerNetns(w, 'dda'));
  try {
    // Warmed alike (V8 compiles our resolver's path as it runs), then asked in alternating
    // blocks so that the machine's noise falls on both.
    await askTimes(ours, 'dnsb', DNS_WARMUP);
    await askTimes(docker, 'ddb', DNS_WARMUP);
    const times = { ours: [] as number[], docker: [] as number[] };
    for (let asked = 0; asked < queries; asked += DNS_BLOCK) {
      times.ours.push(...(await askTimes(ours, 'dnsb', DNS_BLOCK)));
      times.docker.push(...(await askTimes(docker, 'ddb', DNS_BLOCK)));
    }
    return { dnsWasmnetP50Ms: percentile(times.ours, 50), dnsDockerP50Ms: percentile(times.docker, 50) };
  } finally {
    ours.close();
    docker.close();
  }
}

const DNS_WARMUP = 1000;
const DNS_BLOCK = 200;

/** Milliseconds of each of `count` A queries for `name`, asked one after another. */
async function askTimes(client: DnsClient, name: string, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const reply = await client.ask(name);
    out.push(performance.now() - started);
    if (reply === undefined || reply.answers.length === 0) throw new Error(`${name} did not resolve`);
  }
  return out;
}

/** User and system CPU seconds a process has spent (/proc/PID/stat, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The docker-proxy dockerd started for `hostPort` (read from /proc; only read, never signalled). */
function dockerProxyPid(hostPort: number): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args[0]?.endsWith('docker-proxy') && args[args.indexOf('-host-port') + 1] === String(hostPort))
        return Number(entry);
    } catch {
      // Gone meanwhile.
    }
  }
  throw new Error(`no docker-proxy for port ${hostPort}`);
}

function containerNetns(w: StockWorld, name: string): string {
  return `/proc/${w.engine.docker('inspect', '-f', '{{.State.Pid}}', name)}/ns/net`;
}

function tries(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}
