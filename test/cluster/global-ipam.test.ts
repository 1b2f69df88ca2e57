// Cluster mode's GlobalDefault address space: three controllers (each a cluster node on one
// etcd) get a global network's pool and gateway from the cluster's IPAM, endpoints on every
// node get addresses unique across the cluster, overlapping global subnets are refused on any
// node, local networks stay local, and a restarted node replays its addresses into its blocks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { haveEtcd, startEtcd } from '../support/etcd.js';
import { needsRoot } from '../support/root.js';
import { nodeOptions, startNode } from './nodes.js';
import { cleanupStack, uniquePrefix, waitFor } from './support.js';

const skip = needsRoot.skip || ((await haveEtcd()) ? false : 'etcd is not installed');

/** Three cluster nodes on an etcd of their own, all stopped after `t`. */
async function threeNodes(t: ReturnType<typeof cleanupStack>) {
  const etcd = await startEtcd({ t });
  const prefix = uniquePrefix();
  return [
    await startNode(t, nodeOptions(etcd.endpoints, prefix, 1)),
    await startNode(t, nodeOptions(etcd.endpoints, prefix, 2)),
    await startNode(t, nodeOptions(etcd.endpoints, prefix, 3)),
  ];
}

test('a global network takes its pool and addresses from the cluster IPAM on every node', {
  skip,
}, async (context) => {
  const t = cleanupStack(context);
  const nodes = await threeNodes(t);
  const [n1, n2] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];

  // No subnet given: node 1 takes the first free GlobalDefault pool, for the whole cluster.
  const g = await n1.controller.newNetwork('globaltest', 'g', {});
  for (const node of nodes) {
    await waitFor('g everywhere', () => node.controller.networkByName('g') !== undefined);
    assert.deepEqual(
      node.controller
        .networkByName('g')
        ?.info()
        .ipv4.map((pool) => [pool.addressSpace, pool.pool, pool.gateway]),
      [['GlobalDefault', '10.0.0.0/24', '10.0.0.1/24']],
    );
  }
  // A global subnet overlapping it is refused on any node, and leaves nothing behind.
  await assert.rejects(
    n2.controller.newNetwork('globaltest', 'overlap', { ipam: { config: [{ subnet: '10.0.0.0/16' }] } }),
    /ErrPoolOverlap/,
  );
  assert.equal(n2.controller.networkByName('overlap'), undefined);

  const given: string[] = [];
  for (let i = 0; i < 3; i++) {
    for (const node of nodes) {
      const network = node.controller.networkByName('g');
      given.push((await network?.createEndpoint(`e${i}`))?.info().ipv4Address ?? '');
    }
  }
  assert.equal(new Set(given).size, 9, `an address given twice: ${given.join(' ')}`);
  assert.ok(given.every((address) => /^10\.0\.0\.\d+\/24$/.test(address) && address !== '10.0.0.1/24'));

  // Static addresses side by side on every node: the first node claims their block, the
  // others borrow theirs from it; the same static address twice is refused.
  for (const [i, node] of nodes.entries()) {
    const network = node.controller.networkByName('g');
    const endpoint = await network?.createEndpoint('static', { ipv4Address: `10.0.0.${201 + i}` });
    assert.equal(endpoint?.info().ipv4Address, `10.0.0.${201 + i}/24`);
  }
  await assert.rejects(
    n2.controller.networkByName('g')?.createEndpoint('again', { ipv4Address: '10.0.0.201' }) ?? Promise.resolve(),
    /ErrIPAlreadyAllocated/,
  );

  // A local network stays on its node: LocalDefault, the same first pool on every node.
  for (const node of [n1, n2]) {
    const local = await node.controller.newNetwork('bridge', 'local', {});
    assert.deepEqual(
      local.info().ipv4.map((pool) => [pool.addressSpace, pool.pool]),
      [['LocalDefault', '172.17.0.0/16']],
    );
  }

  // Node 1 restarts: its addresses are replayed into its blocks, the next one is new.
  const mine = (n1.controller.networkByName('g')?.endpoints() ?? []).map((e) => e.info().ipv4Address).sort();
  await n1.controller.close();
  const again = await n1.host.controller({ cluster: n1.options });
  t.after(() => again.close());
  const restored = again.networkByName('g');
  assert.equal(restored?.id(), g.id());
  assert.deepEqual((restored?.endpoints() ?? []).map((e) => e.info().ipv4Address).sort(), mine);
  const fresh = (await restored?.createEndpoint('after'))?.info().ipv4Address ?? '';
  assert.ok(/^10\.0\.0\.\d+\/24$/.test(fresh) && !given.includes(fresh), `${fresh} was given before`);
  assert.deepEqual(
    n1.host.warnings.filter((warning) => /replay/.test(warning)),
    [],
  );
});

test('a global network with aux addresses is adopted by every node; the creator alone holds them', {
  skip,
}, async (context) => {
  const nodes = await threeNodes(cleanupStack(context));
  const [n1, n2] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
  const config = { subnet: '10.0.7.0/24', auxAddresses: { router: '10.0.7.250' } };
  const g = await n1.controller.newNetwork('globaltest', 'aux', { ipam: { config: [config] } });
  for (const node of nodes) {
    await waitFor('aux everywhere', () => node.controller.networkByName('aux') !== undefined);
    assert.deepEqual(
      node.controller
        .networkByName('aux')
        ?.info()
        .ipv4.map((pool) => [pool.pool, pool.auxAddresses]),
      [['10.0.7.0/24', { router: '10.0.7.250/24' }]],
    );
  }
  // The aux address stays taken for the whole cluster: no node gives it to an endpoint.
  await assert.rejects(
    n2.controller.networkByName('aux')?.createEndpoint('squatter', { ipv4Address: '10.0.7.250' }) ?? Promise.resolve(),
    /ErrIPAlreadyAllocated/,
  );
  await g.delete();
  for (const node of nodes)
    await waitFor('aux gone everywhere', () => node.controller.networkByName('aux') === undefined);
  for (const node of nodes)
    assert.deepEqual(
      node.host.warnings.filter((warning) => /aux|10\.0\.7\./.test(warning)),
      [],
    );
});
