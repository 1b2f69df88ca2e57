// Three controllers as cluster nodes on one etcd: discovery of each other, a global network
// created on one node everywhere (allocated once, freed once, not deletable while any node has
// endpoints on it), table events between them, and a departure seen by the others.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActiveEndpointsError, NetworkNameError } from '../../host/controller/index.js';
import { VNI_OPTION } from '../controller/global-driver.js';
import { haveEtcd, startEtcd } from '../support/etcd.js';
import { needsRoot } from '../support/root.js';
import { nodeOptions, PEER_TABLE, startNode } from './nodes.js';
import { cleanupStack, uniquePrefix, waitFor } from './support.js';

const skip = needsRoot.skip || ((await haveEtcd()) ? false : 'etcd is not installed');

test('a global network made on node 1 is on nodes 2 and 3; table events and discovery between them', {
  skip,
}, async (context) => {
  const t = cleanupStack(context);
  const etcd = await startEtcd({ t });
  const prefix = uniquePrefix();
  const [n1, n2, n3] = [
    await startNode(t, nodeOptions(etcd.endpoints, prefix, 1)),
    await startNode(t, nodeOptions(etcd.endpoints, prefix, 2)),
    await startNode(t, nodeOptions(etcd.endpoints, prefix, 3)),
  ];
  const nodes = [n1, n2, n3];
  // Each driver hears of itself, then of the two others.
  for (const [i, node] of nodes.entries()) {
    await waitFor(`node${i + 1} discovers the others`, () => node.global.discovered.length >= 3);
    const seen = node.global.discovered.map((d) => `${d.call} ${d.address} ${d.self}`).sort();
    const expected = [1, 2, 3].map((n) => `new 192.0.2.${n} ${n === i + 1}`).sort();
    assert.deepEqual(seen, expected);
  }

  const g1 = await n1.controller.newNetwork('globaltest', 'g1', { ipam: { config: [{ subnet: '10.70.0.0/24' }] } });
  for (const node of [n2, n3]) await waitFor('g1 everywhere', () => node.controller.networkByName('g1') !== undefined);
  assert.deepEqual(n1.global.allocated, [g1.id()]);
  for (const node of [n2, n3]) {
    assert.deepEqual(node.global.allocated, [], 'NetworkAllocate runs on the creating node only');
    assert.equal(node.controller.networkByName('g1')?.id(), g1.id());
    const created = node.global.calls.find((call) => call.method === 'createNetwork');
    assert.ok(created !== undefined);
    assert.ok((created.args[1] as Array<[string, string]>).some(([k, v]) => k === VNI_OPTION && v === '4096'));
  }
  // A name is unique in the cluster.
  await assert.rejects(
    n2.controller.newNetwork('globaltest', 'g1', { ipam: { config: [{ subnet: '10.71.0.0/24' }] } }),
    NetworkNameError,
  );

  // An endpoint joined on node 2: its entry reaches nodes 1 and 3, not node 2's own driver.
  const g1on2 = n2.controller.networkByName('g1');
  assert.ok(g1on2 !== undefined);
  const ep = await g1on2.createEndpoint('ep');
  const box = await n2.controller.newSandbox('box');
  await ep.join(box);
  for (const node of [n1, n3])
    await waitFor('the entry', () => node.global.events.some((e) => e.event === 'create' && e.key === ep.id()));
  assert.deepEqual(n2.global.events, []);
  assert.deepEqual(
    n1.global.events.map((e) => [e.event, e.tableName, e.key, e.value]),
    [['create', PEER_TABLE, ep.id(), ep.info().ipv4Address]],
  );

  // Node 2 has an endpoint: nobody can delete g1.
  await assert.rejects(g1.delete(), ActiveEndpointsError);
  await ep.leave(box);
  for (const node of [n1, n3])
    await waitFor('the delete', () => node.global.events.some((e) => e.event === 'delete' && e.key === ep.id()));
  await ep.delete();
  await box.delete();

  await g1.delete();
  assert.deepEqual(n1.global.freed, [g1.id()]);
  for (const node of [n2, n3]) {
    await waitFor('g1 gone everywhere', () => node.controller.networkByName('g1') === undefined);
    assert.deepEqual(node.global.freed, [], 'NetworkFree runs on the deleting node only');
    assert.equal(node.global.count('deleteNetwork'), 1);
  }

  // Node 3 leaves: the others' drivers hear of it at once (its lease is revoked).
  await n3.controller.close();
  for (const node of [n1, n2])
    await waitFor('node3 gone', () =>
      node.global.discovered.some((d) => d.call === 'delete' && d.address === '192.0.2.3'),
    );
});

test('a node that was down gets the global networks made meanwhile, and drops those deleted', {
  skip,
}, async (context) => {
  const t = cleanupStack(context);
  const etcd = await startEtcd({ t });
  const prefix = uniquePrefix();
  const n1 = await startNode(t, nodeOptions(etcd.endpoints, prefix, 1));
  const n2 = await startNode(t, nodeOptions(etcd.endpoints, prefix, 2));
  const old = await n1.controller.newNetwork('globaltest', 'old', { ipam: { config: [{ subnet: '10.72.0.0/24' }] } });
  await waitFor('old on node 2', () => n2.controller.networkByName('old') !== undefined);
  await n2.controller.close();

  await old.delete();
  const fresh = await n1.controller.newNetwork('globaltest', 'new', { ipam: { config: [{ subnet: '10.73.0.0/24' }] } });
  const again = await n2.host.controller({ cluster: n2.options });
  t.after(() => again.close());
  assert.equal(again.networkByName('old'), undefined);
  assert.equal(again.networkByName('new')?.id(), fresh.id());
  assert.deepEqual(n2.global.allocated, []);
});
