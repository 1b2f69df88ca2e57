// Global IPAM figures: nodes (GlobalIpam instances with clients and leases of their own) on one
// etcd allocate from one GlobalDefault pool at once; the latency of each allocation and the etcd
// requests it took, beside, in the same run, LocalDefault (DefaultIpam, no etcd) and an
// allocator that does one etcd transaction per address (a compare-and-put of the address's key,
// as a KV-store allocator without blocks must).
//   npm run bench -- gipam [--json] [--nodes N] [--allocations N]
import { Etcd3 } from 'etcd3';
import { DefaultIpam } from '../ipam/index.js';
import { startEtcd } from '../test/support/etcd.js';
import { openIpamNode, uniqueIpamPrefix, type IpamNode } from '../test/support/ipam-nodes.js';
import { percentile, type BenchOptions, type BenchReport } from './report.js';

const POOL = '10.100.0.0/16';

function flag(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  return at < 0 ? fallback : Number(args[at + 1]);
}

/** Milliseconds each of `count` sequential calls took. */
async function timed(count: number, call: (i: number) => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const began = performance.now();
    await call(i);
    samples.push(performance.now() - began);
  }
  return samples;
}

async function globalAllocations(
  endpoints: string[],
  nodeCount: number,
  allocations: number,
): Promise<{ samples: number[]; requests: number; claims: number[] }> {
  const prefix = uniqueIpamPrefix();
  const nodes: IpamNode[] = [];
  try {
    for (let i = 0; i < nodeCount; i++) nodes.push(await openIpamNode(`bench-${i}`, { endpoints, prefix }));
    const poolId = (
      await Promise.all(nodes.map((n) => n.ipam.requestPool({ addressSpace: 'GlobalDefault', pool: POOL })))
    )[0]?.poolId as string;
    const before = nodes.map((n) => n.ipam.etcdRequests);
    const claims: number[] = [];
    // Every node allocates at the same time; an allocation that sent a request claimed a block.
    const perNode = await Promise.all(
      nodes.map((node) =>
        timed(allocations, async () => {
          const sent = node.ipam.etcdRequests;
          const began = performance.now();
          await node.ipam.requestAddress(poolId);
          if (node.ipam.etcdRequests > sent) claims.push(performance.now() - began);
        }),
      ),
    );
    const requests = nodes.reduce((sum, n, i) => sum + n.ipam.etcdRequests - (before[i] as number), 0);
    return { samples: perNode.flat(), requests, claims };
  } finally {
    for (const node of nodes) await node.stop();
  }
}

async function localAllocations(allocations: number): Promise<number[]> {
  const ipam = new DefaultIpam();
  const { poolId } = await ipam.requestPool({ addressSpace: 'LocalDefault', pool: POOL });
  return timed(allocations, () => ipam.requestAddress(poolId));
}

/** The peer: each address is a key created by a transaction that checks it does not exist. */
async function perAddressEtcd(endpoints: string[], allocations: number): Promise<number[]> {
  const client = new Etcd3({ hosts: endpoints });
  const prefix = uniqueIpamPrefix();
  try {
    return await timed(allocations, async (i) => {
      for (let candidate = i + 1; ; candidate++) {
        const key = `${prefix}addresses/10.100.${candidate >> 8}.${candidate & 255}`;
        const response = await client.if(key, 'Version', '==', 0).then(client.put(key).value('bench')).commit();
        if (response.succeeded) return;
      }
    });
  } finally {
    await client.delete().prefix(prefix);
    client.close();
  }
}

export async function run(options: BenchOptions): Promise<BenchReport> {
  const nodeCount = flag(options.args, '--nodes', 3);
  const allocations = flag(options.args, '--allocations', 2000);
  const etcd = await startEtcd();
  try {
    const global = await globalAllocations(etcd.endpoints, nodeCount, allocations);
    const local = await localAllocations(allocations);
    const peer = await perAddressEtcd(etcd.endpoints, allocations);
    const total = global.samples.length;
    const globalP50 = percentile(global.samples, 50);
    const localP50 = percentile(local, 50);
    const peerP50 = percentile(peer, 50);
    const requestsPerAlloc = global.requests / total;
    return {
      rows: [
        {
          label: `GlobalDefault requestAddress p50 (${nodeCount} nodes at once, ${allocations} each)`,
          value: globalP50,
          unit: 'ms',
          note: `p99 ${percentile(global.samples, 99).toFixed(3)} ms; per-address etcd txn ${(peerP50 / globalP50).toFixed(0)}x slower`,
        },
        {
          label: 'etcd requests per GlobalDefault allocation',
          value: requestsPerAlloc,
          unit: 'requests',
          note: `${global.requests} for ${total} addresses (block claims and lost races)`,
        },
        {
          label: 'GlobalDefault allocation that claimed a block, p50',
          value: percentile(global.claims, 50),
          unit: 'ms',
          note: `${global.claims.length} of ${total}`,
        },
        {
          label: `LocalDefault requestAddress p50 (DefaultIpam, ${allocations})`,
          value: localP50,
          unit: 'ms',
          note: `global/local ${(globalP50 / localP50).toFixed(1)}x`,
        },
        {
          label: 'peer: one etcd transaction per address, p50',
          value: peerP50,
          unit: 'ms',
          note: `p99 ${percentile(peer, 99).toFixed(3)} ms; 1 request per allocation`,
        },
      ],
      figures: {
        globalAllocP50Ms: round(globalP50),
        globalAllocP99Ms: round(percentile(global.samples, 99)),
        etcdRequestsPerAlloc: round(requestsPerAlloc),
        blockClaimP50Ms: round(percentile(global.claims, 50)),
        localAllocP50Ms: round(localP50),
        perAddressEtcdAllocP50Ms: round(peerP50),
        nodes: nodeCount,
        allocationsPerNode: allocations,
      },
    };
  } finally {
    await etcd.stop();
  }
}

function round(value: number): number {
  return Number(value.toPrecision(4));
}
