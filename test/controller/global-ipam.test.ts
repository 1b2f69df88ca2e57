// Two controllers (two hosts, each in namespaces of its own) sharing a GlobalIpam on one etcd:
// a global-scope network gets the same pool and gateway on both, endpoints get addresses unique
// across the hosts with no etcd request per endpoint, local networks stay on their host, and a
// restarted controller replays its global addresses from its blocks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Controller } from '../../host/index.js';
import { haveEtcd, startEtcd } from '../support/etcd.js';
import { openIpamNode, uniqueIpamPrefix, type IpamNode } from '../support/ipam-nodes.js';
import { needsRoot } from '../support/root.js';
import { makeHost, type TestHost } from './fixtures.js';

const skip = needsRoot.skip || ((await haveEtcd()) ? false : 'needs etcd (Debian etcd-server)');

test('a global network takes its pool and addresses from the cluster IPAM', { skip }, async (t) => {
  const etcd = await startEtcd();
  const prefix = uniqueIpamPrefix();
  const opened: Array<{ node: IpamNode; controller: Controller }> = [];
  const hosts: TestHost[] = [];
  t.after(async () => {
    for (const { node, controller } of opened.reverse()) {
      await controller.close();
      await node.stop();
    }
    for (const h of hosts) h.cleanup();
    await etcd.stop();
  });
  const start = async (h: TestHost, name: string): Promise<{ node: IpamNode; controller: Controller }> => {
    const node = await openIpamNode(name, { endpoints: etcd.endpoints, prefix });
    const controller = await h.controller({ globalIpam: node.ipam });
    const started = { node, controller };
    opened.push(started);
    return started;
  };
  for (const label of ['g1', 'g2']) {
    const h = makeHost(label);
    hosts.push(h);
    // The test bridge, once more as a global-scope driver (as overlay is).
    h.registry.registerDriver('gbridge', h.driver, {
      dataScope: 'global',
      connectivityScope: 'global',
      externalConnectivity: 'none',
    });
  }
  const [h1, h2] = hosts as [TestHost, TestHost];
  const one = await start(h1, 'node-1');
  const two = await start(h2, 'node-2');

  // The same global network on both hosts, as a cluster creates it on each node that uses it.
  const config = { ipam: { config: [{ subnet: '10.88.0.0/24' }] } };
  const n1 = await one.controller.newNetwork('gbridge', 'g', config);
  const n2 = await two.controller.newNetwork('gbridge', 'g', config);
  for (const network of [n1, n2]) {
    assert.deepEqual(
      network.info().ipv4.map((pool) => [pool.addressSpace, pool.pool, pool.gateway]),
      [['GlobalDefault', '10.88.0.0/24', '10.88.0.1/24']],
    );
  }
  // An overlapping global subnet is refused on any host.
  await assert.rejects(
    two.controller.newNetwork('gbridge', 'overlap', { ipam: { config: [{ subnet: '10.88.0.0/16' }] } }),
    /ErrPoolOverlap/,
  );

  const before = [one.node.ipam.etcdRequests, two.node.ipam.etcdRequests];
  const addresses: string[] = [];
  for (let i = 0; i < 5; i++) {
    for (const network of [n1, n2]) addresses.push((await network.createEndpoint(`e${i}`)).info().ipv4Address ?? '');
  }
  assert.equal(new Set(addresses).size, 10, `addresses given twice: ${addresses.join(' ')}`);
  assert.ok(addresses.every((a) => /^10\.88\.0\.\d+\/24$/.test(a) && a !== '10.88.0.1/24'));
  // One block claim per host, then nothing (a lost race for the first block costs one more).
  assert.ok(one.node.ipam.etcdRequests - (before[0] as number) <= 2);
  assert.ok(two.node.ipam.etcdRequests - (before[1] as number) <= 2);

  // A local network stays on the host: LocalDefault, no etcd request.
  const sent = one.node.ipam.etcdRequests;
  const local = await one.controller.newNetwork('bridge', 'local', {});
  assert.equal(local.info().ipv4[0]?.addressSpace, 'LocalDefault');
  await local.createEndpoint('l1');
  assert.equal(one.node.ipam.etcdRequests, sent);

  // Host 1 restarts: its global addresses are replayed into its blocks; new ones differ.
  const given1 = n1
    .endpoints()
    .map((e) => e.info().ipv4Address)
    .sort();
  await one.controller.close();
  await one.node.stop();
  opened.splice(opened.indexOf(one), 1);
  const again = await start(h1, 'node-1');
  const restored = again.controller.networkByName('g');
  assert.ok(restored !== undefined);
  assert.deepEqual(
    restored
      .endpoints()
      .map((e) => e.info().ipv4Address)
      .sort(),
    given1,
  );
  const fresh = (await restored.createEndpoint('after')).info().ipv4Address ?? '';
  assert.ok(!addresses.includes(fresh), `${fresh} was given before the restart`);
  assert.deepEqual(h1.warnings, [], 'the replay warned');
});
