// Publishing a port: one published port (DNAT from the host, DNAT from outside, the accept)
// added and removed through the firewall's nftables netlink backend, against the same DNAT rule
// added and removed with the `nft` CLI, in the same run, inside a private namespace. The CLI
// runs with this thread switched into that namespace (no nsenter in its cost). Then the same
// namespace's legacy FORWARD drops (as a dockerd on iptables-legacy leaves it): a network's
// accepts (iptables-legacy-restore, one process per change) and a published port (no process).
// Then, with a stock dockerd (firewall-docker.ts): `docker run -p`, published-port throughput
// and DNS against Docker's own in the same run.
// Options: --samples N (300), --cli-samples N (40), --legacy-samples N (40), --runs N (11),
// --transfers N (5), --megabytes N (200), --queries N (2000).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { NftFirewall, type OwnedRule } from '../host/firewall/index.js';
import { createNetns, deleteNetns, type Netns, sysctlSet } from '../host/netlink/index.js';
import { dockerInstalled } from '../test/engines/docker.js';
import { startStockWorld } from '../test/engines/stock-world.js';
import { type DockerFigures, dockerFigures } from './firewall-docker.js';
import { numberOption } from './options.js';
import { quietMachine } from './quiet.js';
import { type BenchOptions, type BenchReport, type BenchRow, percentile, round } from './report.js';

const NFT = '/usr/sbin/nft';
const CLI_TABLE = 'benchcli';
const HOST_PORT = 8080;
const CONTAINER_IP = '10.200.0.2';
const CONTAINER_PORT = 80;

const PUBLISH: OwnedRule = {
  driver: 'bench',
  operation: 'join:bench',
  rule: {
    tag: 'publish',
    val: {
      bridge: 'benchbr',
      protocol: 'tcp',
      hostPort: HOST_PORT,
      containerIp: CONTAINER_IP,
      containerPort: CONTAINER_PORT,
    },
  },
};

/** Milliseconds each of `samples` runs of `turn` took, after a few untimed ones. */
function time(samples: number, turn: () => void): number[] {
  for (let i = 0; i < 5; i++) turn();
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = performance.now();
    turn();
    out.push(performance.now() - start);
  }
  return out;
}

const NETWORK: OwnedRule = {
  driver: 'bench',
  operation: 'network:bench',
  rule: { tag: 'accept-forwarding', val: { bridge: 'benchbr', external: true } },
};

/** Adding and removing `owned` through the backend, `samples` times. */
function backendSamples(host: Netns, samples: number, owned = PUBLISH): number[] {
  const firewall = new NftFirewall(() => host);
  try {
    return time(samples, () => {
      firewall.add(owned);
      if (!firewall.remove(owned.driver, owned.rule)) throw new Error(`${owned.rule.tag} was not there`);
    });
  } finally {
    firewall.close();
  }
}

/** The same DNAT rule with the CLI: added with its handle echoed, then deleted by that handle. */
function cliSamples(host: Netns, samples: number): number[] {
  const nft = (...args: string[]): string => host.run(() => execFileSync(NFT, args, { encoding: 'utf8' }));
  nft('add', 'table', 'ip', CLI_TABLE);
  nft('add', 'chain', 'ip', CLI_TABLE, 'prerouting', '{ type nat hook prerouting priority -100; }');
  const rule = `fib daddr type local tcp dport ${HOST_PORT} counter dnat to ${CONTAINER_IP}:${CONTAINER_PORT}`;
  try {
    return time(samples, () => {
      const added = nft('--echo', '--handle', 'add', 'rule', 'ip', CLI_TABLE, 'prerouting', ...rule.split(' '));
      const handle = /# handle (\d+)/.exec(added)?.[1];
      if (handle === undefined) throw new Error(`nft echoed no handle: ${added}`);
      nft('delete', 'rule', 'ip', CLI_TABLE, 'prerouting', 'handle', handle);
    });
  } finally {
    nft('delete', 'table', 'ip', CLI_TABLE);
  }
}

export async function run(options: BenchOptions): Promise<BenchReport> {
  const samples = numberOption(options.args, 'samples', 300);
  const cliCount = numberOption(options.args, 'cli-samples', 40);
  const legacyCount = numberOption(options.args, 'legacy-samples', 40);
  const dir = `/run/wasmnet-bench-firewall-${process.pid}`;
  mkdirSync(dir, { recursive: true });
  const host = createNetns(dir, 'host', (ns) => sysctlSet(ns, 'disable-ipv6', undefined, '1'));
  let nft: { backend: number; backendP99: number; cli: number | undefined };
  let legacy: { network: number; publish: number } | undefined;
  try {
    await quietMachine();
    const backend = percentile(backendSamples(host, samples), 50);
    const backendP99 = percentile(backendSamples(host, samples), 99);
    let cli: number | undefined;
    if (existsSync(NFT)) {
      await quietMachine();
      cli = percentile(cliSamples(host, cliCount), 50);
    }
    nft = { backend, backendP99, cli };
    if (existsSync(IPTABLES_LEGACY)) {
      host.run(() => execFileSync(IPTABLES_LEGACY, ['-P', 'FORWARD', 'DROP']));
      await quietMachine();
      legacy = {
        network: percentile(backendSamples(host, legacyCount, NETWORK), 50),
        publish: percentile(backendSamples(host, samples), 50),
      };
    }
  } finally {
    deleteNetns(host);
    rmSync(dir, { recursive: true, force: true });
  }
  const docker = dockerInstalled() ? await withStockDocker(options) : undefined;
  return report(nft, legacy, docker);
}

const IPTABLES_LEGACY = '/usr/sbin/iptables-legacy';

async function withStockDocker(options: BenchOptions): Promise<DockerFigures> {
  const world = await startStockWorld('bfw', {});
  try {
    return await dockerFigures(world, {
      runs: numberOption(options.args, 'runs', 11),
      transfers: numberOption(options.args, 'transfers', 5),
      megabytes: numberOption(options.args, 'megabytes', 200),
      queries: numberOption(options.args, 'queries', 2000),
    });
  } finally {
    await world.close();
  }
}

function report(
  nft: { backend: number; backendP99: number; cli: number | undefined },
  legacy: { network: number; publish: number } | undefined,
  docker: DockerFigures | undefined,
): BenchReport {
  const ratio = nft.cli === undefined ? undefined : nft.cli / nft.backend;
  const rows: BenchRow[] = [
    {
      label: 'publish add+remove p50 (netlink)',
      value: nft.backend,
      unit: 'ms',
      note: ratio === undefined ? 'nft CLI not installed' : `nft CLI ${nft.cli?.toFixed(2)} ms: ${ratio.toFixed(0)}x`,
    },
    { label: 'publish add+remove p99 (netlink)', value: nft.backendP99, unit: 'ms' },
  ];
  if (legacy !== undefined)
    rows.push(
      {
        label: 'legacy drop: network accepts add+remove p50',
        value: legacy.network,
        unit: 'ms',
        note: '2 iptables-legacy-restore runs',
      },
      { label: 'legacy drop: publish add+remove p50', value: legacy.publish, unit: 'ms', note: 'no process' },
    );
  const d = docker;
  const runRatio = d === undefined ? undefined : d.runPublishWasmnetMs / d.runPublishDockerMs;
  const proxyRatio = d === undefined ? undefined : d.publishedPortMBps / d.dockerProxyMBps;
  const dnsRatio = d === undefined ? undefined : d.dnsDockerP50Ms / d.dnsWasmnetP50Ms;
  if (d !== undefined)
    rows.push(
      {
        label: 'docker run --rm -p, wasmnet network (median)',
        value: d.runPublishWasmnetMs,
        unit: 'ms',
        note: `${runRatio?.toFixed(3)}x Docker's bridge (target ≤ 1.0)`,
      },
      { label: "docker run --rm -p, Docker's bridge (median)", value: d.runPublishDockerMs, unit: 'ms' },
      {
        label: 'published port, wasmnet (NAT)',
        value: d.publishedPortMBps,
        unit: 'MB/s',
        note: `${proxyRatio?.toFixed(2)}x docker-proxy (target ≥ 2)`,
      },
      { label: "published port, Docker's userland proxy", value: d.dockerProxyMBps, unit: 'MB/s' },
      { label: "published port, Docker's DNAT (no proxy)", value: d.dockerDnatMBps, unit: 'MB/s' },
      {
        label: 'CPU per GB: Node sender + sink',
        value: d.endpointsCpuSecondsPerGB,
        unit: 's',
        note: 'what bounds both paths on 2 cores',
      },
      { label: 'CPU per GB: docker-proxy', value: d.dockerProxyCpuSecondsPerGB, unit: 's' },
      {
        label: 'DNS container name p50, wasmnet',
        value: d.dnsWasmnetP50Ms,
        unit: 'ms',
        note: `Docker ${dnsRatio?.toFixed(2)}x slower (target ≥ 1; ≤ 0.2 ms)`,
      },
      { label: "DNS container name p50, Docker's embedded DNS", value: d.dnsDockerP50Ms, unit: 'ms' },
    );
  const figure = (value: number | undefined): number | null => (value === undefined ? null : round(value));
  return {
    rows,
    figures: {
      publishRuleAddP50Ms: round(nft.backend),
      publishRuleAddP99Ms: round(nft.backendP99),
      nftCliP50Ms: figure(nft.cli),
      ratioVsNftCli: figure(ratio),
      legacyNetworkAcceptP50Ms: figure(legacy?.network),
      legacyPublishP50Ms: figure(legacy?.publish),
      dockerRunPublishWasmnetMs: figure(d?.runPublishWasmnetMs),
      dockerRunPublishDockerMs: figure(d?.runPublishDockerMs),
      dockerRunPublishRatio: figure(runRatio),
      publishedPortMBps: figure(d?.publishedPortMBps),
      dockerProxyMBps: figure(d?.dockerProxyMBps),
      dockerDnatMBps: figure(d?.dockerDnatMBps),
      ratioVsDockerProxy: figure(proxyRatio),
      endpointsCpuSecondsPerGB: figure(d?.endpointsCpuSecondsPerGB),
      dockerProxyCpuSecondsPerGB: figure(d?.dockerProxyCpuSecondsPerGB),
      dnsQueryP50Ms: figure(d?.dnsWasmnetP50Ms),
      dnsDockerP50Ms: figure(d?.dnsDockerP50Ms),
      dnsRatioVsDocker: figure(dnsRatio),
    },
  };
}
