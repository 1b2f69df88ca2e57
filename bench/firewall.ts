// Publishing a port: one published port (DNAT from the host, DNAT from outside, the accept)
// added and removed through the firewall's nftables netlink backend, against the same DNAT rule
// added and removed with the `nft` CLI, in the same run, inside a private namespace. The CLI
// runs with this thread switched into that namespace (no nsenter in its cost).
// Options: --samples N (300), --cli-samples N (40).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { NftFirewall, type OwnedRule } from '../host/firewall/index.js';
import { createNetns, deleteNetns, type Netns, sysctlSet } from '../host/netlink/index.js';
import { numberOption } from './options.js';
import { quietMachine } from './quiet.js';
import { type BenchOptions, type BenchReport, percentile, round } from './report.js';

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

function backendSamples(host: Netns, samples: number): number[] {
  const firewall = new NftFirewall(() => host);
  try {
    return time(samples, () => {
      firewall.add(PUBLISH);
      if (!firewall.remove(PUBLISH.driver, PUBLISH.rule)) throw new Error('the published port was not there');
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
  const dir = `/run/wasmnet-bench-firewall-${process.pid}`;
  mkdirSync(dir, { recursive: true });
  const host = createNetns(dir, 'host', (ns) => sysctlSet(ns, 'disable-ipv6', undefined, '1'));
  try {
    await quietMachine();
    const backend = percentile(backendSamples(host, samples), 50);
    const backendP99 = percentile(backendSamples(host, samples), 99);
    let cli: number | undefined;
    if (existsSync(NFT)) {
      await quietMachine();
      cli = percentile(cliSamples(host, cliCount), 50);
    }
    const ratio = cli === undefined ? undefined : cli / backend;
    return {
      rows: [
        {
          label: 'publish add+remove p50 (netlink)',
          value: backend,
          unit: 'ms',
          note: ratio === undefined ? 'nft CLI not installed' : `nft CLI ${cli?.toFixed(2)} ms: ${ratio.toFixed(0)}x`,
        },
        { label: 'publish add+remove p99 (netlink)', value: backendP99, unit: 'ms' },
      ],
      figures: {
        publishRuleAddP50Ms: round(backend),
        publishRuleAddP99Ms: round(backendP99),
        nftCliP50Ms: cli === undefined ? null : round(cli),
        ratioVsNftCli: ratio === undefined ? null : round(ratio),
      },
    };
  } finally {
    deleteNetns(host);
    rmSync(dir, { recursive: true, force: true });
  }
}
