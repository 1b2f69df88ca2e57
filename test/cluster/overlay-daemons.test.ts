// Three `wasmnet daemon` processes in cluster mode on a real etcd (test/support/etcd.ts), each
// plumbing a "host" namespace of its own (--host-netns), joined by an underlay bridge in a fourth
// namespace. An overlay network created on node 1 appears on nodes 2 and 3; a container on each
// node pings the others over VXLAN; node 3 killed with SIGKILL loses its peers on nodes 1 and 2
// when its lease expires; node 3 restarted gets everything back; a leave removes the peer on
// every node; cleanup leaves nothing, in the namespaces or in etcd (but the IPAM's pool index).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { makeHost, ping } from '../controller/fixtures.js';
import { type Daemon, spawnDaemon } from '../security/harness.js';
import { haveEtcd, startEtcd } from '../support/etcd.js';
import { needsRoot } from '../support/root.js';
import { createUnderlay, UNDERLAY_LINK } from '../support/underlay.js';

/** The nodes' lease: a killed node's entries go this long after its last keep-alive. */
const TTL_SECONDS = 3;

/** The remote endpoints (their IPs) a node's VXLAN device holds a permanent neighbour entry for. */
function peersOf(daemon: Daemon, vxlan: string): string[] {
  const listed = execFileSync('nsenter', [`--net=${daemon.hostNetns}`, 'ip', 'neigh', 'show', 'dev', vxlan], {
    encoding: 'utf8',
  });
  return listed
    .split('\n')
    .filter((line) => line.includes('PERMANENT'))
    .map((line) => line.split(' ')[0] as string)
    .sort();
}

/** Waits until `done` holds; fails with `what` after `seconds` (a bound for a loaded machine, not a figure). */
async function until(what: string, seconds: number, done: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!(await done())) {
    if (Date.now() > deadline) assert.fail(`${what}: not after ${seconds} s`);
    await sleep(50);
  }
}

/** The keys under `prefix` in etcd, through its JSON gateway. */
async function etcdKeys(clientUrl: string, prefix: string): Promise<string[]> {
  const end = Buffer.from(prefix);
  end[end.length - 1] = (end[end.length - 1] as number) + 1;
  const answer = await fetch(`${clientUrl}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({
      key: Buffer.from(prefix).toString('base64'),
      range_end: end.toString('base64'),
      keys_only: true,
    }),
  });
  // etcd's JSON leaves out an empty list.
  const { kvs } = (await answer.json()) as { kvs?: Array<{ key: string }> };
  return (kvs ?? []).map((kv) => Buffer.from(kv.key, 'base64').toString());
}

test('three daemons on etcd: an overlay network everywhere, pings across nodes, a killed node leaves and comes back', {
  ...needsRoot,
  timeout: 300_000,
  skip: (await haveEtcd()) ? false : 'etcd is not installed (etcd-server)',
}, async (t) => {
  const hosts = [makeHost('n1'), makeHost('n2'), makeHost('n3')];
  for (const host of hosts) host.namespaceDir('daemon/netns');
  const etcd = await startEtcd();
  const daemons: Daemon[] = [];
  t.after(async () => {
    for (const daemon of daemons) await daemon.stop(2_000);
    for (const host of hosts) host.cleanup();
    await etcd.stop();
  });
  const underlay = createUnderlay(
    hosts[0]!.namespaceDir('underlay'),
    'underlay',
    hosts.map((h) => h.host),
  );
  const args = (n: number): string[] => [
    '--cluster-store',
    etcd.clusterStore,
    '--advertise-addr',
    underlay.addresses[n] as string,
    '--node-name',
    `node${n + 1}`,
    '--cluster-ttl',
    String(TTL_SECONDS),
  ];
  for (const [n, host] of hosts.entries()) daemons.push(await spawnDaemon(host, args(n)));
  const [node1, node2] = daemons as [Daemon, Daemon, Daemon];

  const network = (await node1.api.post('/v1/networks', {
    name: 'ov',
    driver: 'overlay',
    ipam: { config: [{ subnet: '10.93.0.0/24' }] },
  })) as { id: string };
  const vxlan = `vx-${network.id.slice(0, 12)}`;
  assert.ok((await etcdKeys(etcd.endpoints[0] as string, '/wasmnet/')).length > 0, 'the cluster lives under /wasmnet/');
  for (const daemon of daemons.slice(1)) {
    await until('the network reaches the other nodes', 20, async () =>
      ((await daemon.api.get('/v1/networks')) as Array<{ id: string }>).some((n) => n.id === network.id),
    );
  }

  // A container on each node; the cluster's IPAM gives each a unique address.
  const ips: string[] = [];
  const keys: string[] = [];
  for (const [n, daemon] of daemons.entries()) {
    await daemon.api.post('/v1/sandboxes', { containerId: `c${n + 1}` });
    const endpoint = (await daemon.api.post('/v1/networks/ov/endpoints', { name: `ep${n + 1}` })) as {
      ipv4Address: string;
    };
    ips.push(endpoint.ipv4Address.split('/')[0] as string);
    await daemon.api.post(`/v1/networks/ov/endpoints/ep${n + 1}/join`, { sandbox: `c${n + 1}` });
    keys.push(((await daemon.api.get(`/v1/sandboxes/c${n + 1}`)) as { key: string }).key);
  }
  assert.equal(new Set(ips).size, 3, `unique addresses: ${ips.join(', ')}`);
  const allPeers = async (): Promise<void> => {
    for (const [n, daemon] of daemons.entries()) {
      const others = ips.filter((_, m) => m !== n).sort();
      await until(`node ${n + 1} programs its peers`, 20, () => peersOf(daemon, vxlan).join() === others.join());
    }
  };
  await allPeers();
  const pingAll = (): void => {
    for (const [n, key] of keys.entries()) {
      for (const [m, ip] of ips.entries()) {
        if (m !== n) assert.ok(ping(key, ip as string), `c${n + 1} reaches ${ip}`);
      }
    }
  };
  pingAll();

  // Node 3 dies: its lease expires, and nodes 1 and 2 forget its container.
  daemons[2]!.child.kill('SIGKILL');
  await new Promise((resolve) => daemons[2]!.child.once('exit', resolve));
  for (const daemon of [node1, node2]) {
    await until(
      "node 3's entries leave after its lease",
      TTL_SECONDS + 10,
      () => !peersOf(daemon, vxlan).includes(ips[2] as string),
    );
  }
  assert.ok(ping(keys[0] as string, ips[1] as string), 'nodes 1 and 2 still reach each other');

  // Node 3 back on its state: its container is announced again, and pings work everywhere.
  daemons[2] = await spawnDaemon(hosts[2]!, args(2));
  await allPeers();
  pingAll();

  // A leave on node 1 removes its peer on nodes 2 and 3; then everything goes.
  await node1.api.post('/v1/networks/ov/endpoints/ep1/leave', { sandbox: 'c1' });
  for (const daemon of daemons.slice(1)) {
    await until("node 1's leave reaches the others", 20, () => !peersOf(daemon, vxlan).includes(ips[0] as string));
  }
  await assert.rejects(node2.api.delete('/v1/networks/ov'), 'a network with endpoints on any node stays');
  for (const [n, daemon] of daemons.entries()) {
    if (n !== 0) await daemon.api.post(`/v1/networks/ov/endpoints/ep${n + 1}/leave`, { sandbox: `c${n + 1}` });
    await daemon.api.delete(`/v1/networks/ov/endpoints/ep${n + 1}`);
    await daemon.api.delete(`/v1/sandboxes/c${n + 1}`);
  }
  await node2.api.delete('/v1/networks/ov');
  for (const daemon of daemons) {
    await until('the network leaves every node', 20, async () => {
      const networks = (await daemon.api.get('/v1/networks')) as Array<{ id: string }>;
      return !networks.some((n) => n.id === network.id);
    });
  }
  for (const daemon of daemons) assert.equal(await daemon.stop(), 0);
  for (const daemon of daemons) {
    const links = execFileSync('nsenter', [`--net=${daemon.hostNetns}`, 'ip', '-o', 'link', 'show'], {
      encoding: 'utf8',
    })
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.split(': ')[1]?.split('@')[0]);
    assert.deepEqual(links.sort(), ['lo', UNDERLAY_LINK], 'nothing of the overlay is left on the node');
  }
  // Nothing but the global IPAM's pool index, a counter every pool creation compares (ipam/global).
  assert.deepEqual(await etcdKeys(etcd.endpoints[0] as string, '/wasmnet/'), ['/wasmnet/ipam/pool-index']);
});
