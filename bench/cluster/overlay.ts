// bench/cluster's overlay figures: two nodes (controllers in cluster mode, each plumbing a private
// "host" namespace, joined by an underlay bridge in a third) on the run's etcd; node 2 in a process
// of its own (overlay-node.ts). On node 1, endpoint create + sandbox + join on the overlay network,
// while node 2 has an endpoint of it too (so each join's row is programmed there), interleaved with the same on a single-host bridge
// network of node 1: the peer. Then etcd's own counters of write requests and keys written
// across overlay endpoint lifecycles.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Controller } from '../../host/index.js';
import { createNetns, deleteNetns, type Netns, sysctlSet } from '../../host/netlink/index.js';
import type { EtcdCluster } from '../../test/support/etcd.js';
import { createUnderlay } from '../../test/support/underlay.js';
import { Lifecycles, quietThenWarm } from '../endpoints.js';
import { type BenchReport, percentile, round } from '../report.js';

const NODES = 2;

/**
 * etcd's own counters: write requests it committed (raft proposals, each a WAL append and fsync;
 * a transaction of several keys is one) and keys written (puts and deletes, in or out of one).
 */
async function etcdWrites(clientUrl: string): Promise<{ requests: number; puts: number; deletes: number }> {
  const text = await (await fetch(`${clientUrl}/metrics`)).text();
  const counter = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return {
    requests: counter('etcd_server_proposals_committed_total'),
    puts: counter('etcd_mvcc_put_total'),
    deletes: counter('etcd_mvcc_delete_total'),
  };
}

const NODE_CHILD = fileURLToPath(new URL('./overlay-node.js', import.meta.url));

/** Starts node 2 (overlay-node.ts); resolves once its container is on the network `name`. */
async function startRemoteNode(args: string[]): Promise<ChildProcess> {
  // Niced: the work another host would do for node 1's joins takes no CPU node 1 could use.
  const child = spawn('nice', ['-n', '19', process.execPath, NODE_CHILD, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`node 2 exited (${String(code)}) before it was ready`);
  });
  await Promise.race([once(lines, 'line'), exited]);
  exited.catch(() => undefined);
  return child;
}

/**
 * `samples` overlay and bridge setups, interleaved; etcd's writes counted over `counted` overlay
 * lifecycles. Namespaces and data go in `dir`, which the caller removes.
 */
export async function overlayEndpoints(
  etcd: EtcdCluster,
  dir: string,
  samples: number,
  counted: number,
): Promise<BenchReport> {
  const hosts: Netns[] = [];
  let first: Controller | undefined;
  let remote: ChildProcess | undefined;
  let underlayNamespace: Netns | undefined;
  try {
    for (let n = 0; n < NODES; n++)
      hosts.push(createNetns(join(dir, 'hosts'), `node${n}`, (ns) => sysctlSet(ns, 'disable-ipv6', undefined, '1')));
    const underlay = createUnderlay(join(dir, 'underlay'), 'underlay', hosts);
    underlayNamespace = underlay.namespace;
    const prefix = `/bench-overlay-${process.pid}/`;
    first = await Controller.create({
      dataDir: join(dir, 'data0'),
      netnsDir: join(dir, 'netns0'),
      hostNetns: hosts[0]?.path as string,
      cluster: {
        endpoints: etcd.endpoints,
        advertiseAddress: underlay.addresses[0] as string,
        nodeName: 'node0',
        prefix,
      },
    });
    const overlay = await first.newNetwork('overlay', 'ov', { ipam: { config: [{ subnet: '10.91.0.0/16' }] } });
    const bridge = await first.newNetwork('bridge', 'br', { ipam: { config: [{ subnet: '10.92.0.0/16' }] } });
    // Node 2 uses the network: every join on node 1 is programmed there as a peer. Node 1 has a
    // container on it too, as a node running containers has: its claim on the network (one etcd
    // key per node and network, written at its first endpoint) is then already made.
    remote = await startRemoteNode([
      etcd.endpoints.join(','),
      prefix,
      join(dir, 'node1'),
      hosts[1]?.path as string,
      underlay.addresses[1] as string,
      'ov',
    ]);
    const resident = {
      endpoint: await overlay.createEndpoint('resident'),
      sandbox: await first.newSandbox('resident'),
    };
    await resident.endpoint.join(resident.sandbox);

    const onOverlay = new Lifecycles(first);
    const onBridge = new Lifecycles(first);
    const overlayUp: number[] = [];
    const bridgeUp: number[] = [];
    const chunk = 25;
    for (let done = 0; done < samples; done += chunk) {
      await quietThenWarm(() => onOverlay.warmUp(overlay));
      overlayUp.push(...(await onOverlay.measure(overlay, chunk)).up);
      await quietThenWarm(() => onBridge.warmUp(bridge));
      bridgeUp.push(...(await onBridge.measure(bridge, chunk)).up);
    }

    const before = await etcdWrites(etcd.endpoints[0] as string);
    await onOverlay.measure(overlay, counted);
    // Writes may be queued and sent in the background: counted once etcd's counters settle.
    let after = await etcdWrites(etcd.endpoints[0] as string);
    for (let settled = false; !settled; ) {
      await sleep(300);
      const again = await etcdWrites(etcd.endpoints[0] as string);
      settled = again.requests === after.requests;
      after = again;
    }
    const requests = (after.requests - before.requests) / counted;
    const puts = (after.puts - before.puts) / counted;
    const deletes = (after.deletes - before.deletes) / counted;

    const split = ({ steps }: Lifecycles): string =>
      `endpoint ${percentile(steps.endpoint, 50).toFixed(2)} + sandbox ${percentile(steps.sandbox, 50).toFixed(2)} + join ${percentile(steps.join, 50).toFixed(2)} ms (p50s)`;
    await resident.sandbox.delete();
    await resident.endpoint.delete();
    remote.stdin?.end();
    await once(remote, 'exit');
    await bridge.delete();
    await overlay.delete();

    const overlayP50 = percentile(overlayUp, 50);
    const bridgeP50 = percentile(bridgeUp, 50);
    return {
      rows: [
        {
          label: 'overlay setup p50 (endpoint + sandbox + join)',
          value: overlayP50,
          unit: 'ms',
          note: `p99 ${percentile(overlayUp, 99).toFixed(3)} ms; ${(overlayP50 / bridgeP50).toFixed(2)}x the bridge; ${split(onOverlay)}`,
        },
        {
          label: 'bridge setup p50, same node, same run',
          value: bridgeP50,
          unit: 'ms',
          note: `p99 ${percentile(bridgeUp, 99).toFixed(3)} ms; ${split(onBridge)}`,
        },
        {
          label: 'etcd write requests per overlay endpoint lifecycle',
          value: requests,
          unit: 'writes',
          note: `keys written: ${puts.toFixed(2)} puts + ${deletes.toFixed(2)} deletes (the peer row), over ${counted} lifecycles`,
        },
      ],
      figures: {
        overlayJoinP50Ms: round(overlayP50),
        overlayJoinP99Ms: round(percentile(overlayUp, 99)),
        bridgeJoinP50Ms: round(bridgeP50),
        etcdOpsPerEndpoint: round(requests),
        etcdPutsPerEndpoint: round(puts),
        etcdDeletesPerEndpoint: round(deletes),
        overlaySamples: overlayUp.length,
      },
    };
  } finally {
    // Node 2 ends on its stdin's end (killed by its pid only if it is still there after it).
    if (remote !== undefined && remote.exitCode === null && remote.signalCode === null) {
      remote.stdin?.end();
      const timer = setTimeout(() => remote?.kill('SIGKILL'), 10_000);
      await once(remote, 'exit');
      clearTimeout(timer);
    }
    await first?.close();
    for (const namespace of [...hosts, underlayNamespace]) if (namespace !== undefined) deleteNetns(namespace);
  }
}
