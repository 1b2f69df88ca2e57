// Persistence: a restarted controller finds its networks, endpoints and sandboxes, and sweeps
// what a crash left behind.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ControllerStore } from '../../host/index.js';
import { createNetns, deleteNetns } from '../../host/netlink/index.js';
import { ipJson, kernelSettled, makeHost, ping, type IpRoute } from './fixtures.js';
import { needsRoot } from '../support/root.js';

test('restart with live networks: everything is restored, works, and nothing is created twice', needsRoot, async () => {
  const h = makeHost();
  let controller = await h.controller();
  try {
    const network = await controller.newNetwork('bridge', 'persist', {
      labels: { app: 'x' },
      ipam: { config: [{ subnet: '10.70.0.0/24' }] },
    });
    const ep = await network.createEndpoint('ep', { macAddress: '02:00:00:00:00:01' });
    const box = await controller.newSandbox('c1', { hostname: 'web' });
    await ep.join(box);
    const before = { network: network.info(), ep: ep.info(), key: box.key() };
    await controller.close();

    controller = await h.controller();
    assert.deepEqual(controller.recovery, {
      networks: [],
      endpoints: [],
      joins: [],
      sandboxes: [],
      namespaces: [],
      links: [],
      orphans: [],
    });
    assert.equal(h.driver.count('createNetwork'), 1);
    assert.equal(h.driver.count('createEndpoint'), 1);
    assert.equal(h.driver.count('join'), 1);
    const restored = controller.networkByName('persist');
    assert.ok(restored);
    assert.deepEqual(restored.info(), before.network);
    const restoredEp = restored.endpointByName('ep');
    assert.ok(restoredEp);
    assert.deepEqual(restoredEp.info(), before.ep);
    const restoredBox = controller.sandboxByContainerId('c1');
    assert.equal(restoredBox?.key(), before.key);
    assert.deepEqual(restoredBox?.endpoints(), [restoredEp]);
    assert.ok(ping(before.key, '10.70.0.1'));

    // IPAM was rebuilt: the next address is new, the taken one is refused.
    const second = await restored.createEndpoint('second');
    assert.equal(second.info().ipv4Address, '10.70.0.3/24');
    await assert.rejects(restored.createEndpoint('dup', { ipv4Address: '10.70.0.2' }), /ErrIPAlreadyAllocated/);
    const box2 = await controller.newSandbox('c2');
    await second.join(box2);
    assert.ok(ping(box2.key(), '10.70.0.2'));

    await restoredEp.leave(restoredBox!);
    assert.deepEqual(ipJson<IpRoute[]>(before.key, 'route', 'show', 'default'), []);
    await restoredBox!.delete();
    await box2.delete();
    await restoredEp.delete();
    await second.delete();
    await restored.delete();
    assert.deepEqual(readdirSync(h.netnsDir), []);
    await controller.close();
    controller = await h.controller();
    assert.deepEqual([controller.networks(), controller.sandboxes()], [[], []]);
  } finally {
    await controller.close();
    h.cleanup();
  }
});

test(
  'start-up sweep: half-created objects, joins to vanished sandboxes, unclaimed namespaces and link rows',
  needsRoot,
  async () => {
    const h = makeHost();
    let controller = await h.controller();
    try {
      const network = await controller.newNetwork('bridge', 'n', { ipam: { config: [{ subnet: '10.71.0.0/24' }] } });
      const ep = await network.createEndpoint('ep');
      const gone = await controller.newSandbox('gone');
      await ep.join(gone);
      const goneKey = gone.key();
      await controller.close();

      // What a crash leaves: a sandbox's namespace gone, a stray namespace, an endpoint caught
      // in CreateEndpoint, and ownership rows of a namespace that no longer exists.
      deleteNetns(goneKey);
      createNetns(h.netnsDir, 'stray');
      const store = ControllerStore.open(h.dataDir);
      store.endpoints.put('half', {
        id: 'half',
        name: 'half',
        networkId: network.id(),
        address: '10.71.0.9/24',
        options: {},
        state: 'creating',
      });
      store.links.put({ driver: 'bridge', ns: `sandbox:${goneKey}`, name: 'eth0' });
      store.links.put({ driver: 'bridge', ns: 'host', name: 'br0' });
      await store.close();
      const leavesBefore = h.driver.count('leave');

      controller = await h.controller();
      const report = controller.recovery;
      assert.equal(report.sandboxes.length, 1);
      assert.deepEqual(report.joins, [ep.id()]);
      assert.deepEqual(report.endpoints, ['half']);
      assert.deepEqual(report.namespaces, ['stray']);
      assert.deepEqual(report.links, [`sandbox:${goneKey}:eth0`]);
      assert.equal(existsSync(join(h.netnsDir, 'stray')), false);
      assert.equal(h.driver.count('leave'), leavesBefore + 1, 'the stale join was left');
      assert.ok(h.driver.calls.some((c) => c.method === 'deleteEndpoint' && c.args[1] === 'half'));
      assert.deepEqual(controller.store.links.all(), [{ driver: 'bridge', ns: 'host', name: 'br0' }]);

      const restored = controller.networkByName('n')!;
      assert.deepEqual(
        restored.endpoints().map((e) => e.name()),
        ['ep'],
      );
      const again = restored.endpointByName('ep')!;
      assert.equal(again.info().sandboxKey, undefined);
      const fresh = await controller.newSandbox('fresh');
      await again.join(fresh);
      assert.equal(again.info().interfaceName, 'eth0');
      await fresh.delete();
      await again.delete();
      await restored.delete();
    } finally {
      await controller.close();
      h.cleanup();
    }
  },
);

test(
  'start-up sweep: a namespace file a crash left unmounted (a plain file) is a gone sandbox',
  needsRoot,
  async () => {
    const h = makeHost();
    let controller = await h.controller();
    try {
      const network = await controller.newNetwork('bridge', 'n', { ipam: { config: [{ subnet: '10.72.0.0/24' }] } });
      const ep = await network.createEndpoint('ep');
      const box = await controller.newSandbox('box');
      await ep.join(box);
      const key = box.key();
      await controller.close();

      // Killed between unmounting the namespace and removing its file.
      execFileSync('umount', [key]);
      assert.equal(existsSync(key), true);

      controller = await h.controller();
      assert.equal(controller.recovery.sandboxes.length, 1);
      assert.deepEqual(controller.recovery.joins, [ep.id()]);
      assert.deepEqual(controller.recovery.namespaces, [key.split('/').pop()]);
      assert.equal(existsSync(key), false, 'the plain file is removed');
      assert.equal(controller.networkByName('n')!.endpointByName('ep')!.info().sandboxKey, undefined);
    } finally {
      await controller.close();
      h.cleanup();
    }
  },
);

test(
  'restart: a live sandbox whose hosts file is missing (a crash before it was written) gets it back',
  needsRoot,
  async () => {
    const h = makeHost();
    let controller = await h.controller();
    try {
      const network = await controller.newNetwork('bridge', 'n', { ipam: { config: [{ subnet: '10.73.0.0/24' }] } });
      const ep = await network.createEndpoint('ep');
      const box = await controller.newSandbox('box', { hostname: 'box' });
      await ep.join(box);
      const { hostsPath } = box.info();
      await controller.close();
      rmSync(hostsPath);

      controller = await h.controller();
      assert.match(readFileSync(hostsPath, 'utf8'), /^10\.73\.0\.2\tbox$/m);
    } finally {
      await controller.close();
      h.cleanup();
    }
  },
);

test(
  'start-up sweep: a sandbox delete a crash cut short is finished; links of a join that is gone are removed',
  needsRoot,
  async () => {
    const h = makeHost();
    let controller = await h.controller({ drivers: undefined });
    try {
      const network = await controller.newNetwork('bridge', 'n', { ipam: { config: [{ subnet: '10.74.0.0/24' }] } });
      const [ep1, ep2] = [await network.createEndpoint('ep1'), await network.createEndpoint('ep2')];
      const [deleting, kept] = [await controller.newSandbox('deleting'), await controller.newSandbox('kept')];
      await ep1.join(deleting);
      await ep2.join(kept);
      const records = {
        deleting: structuredClone(deleting.record),
        kept: structuredClone(kept.record),
        ep1: structuredClone(ep1.record),
        ep2: structuredClone(ep2.record),
      };
      await controller.close();

      // Killed in the middle of deleting a sandbox, after its endpoint's leave was saved: the
      // namespace (with the endpoint's interface) is still there. `kept` is the same, as a
      // version that did not mark a sandbox being deleted leaves it: live, with a join that is gone.
      const store = ControllerStore.open(h.dataDir);
      store.sandboxes.put(records.deleting.id, { ...records.deleting, state: 'deleting', endpoints: [] });
      store.sandboxes.put(records.kept.id, { ...records.kept, endpoints: [] });
      for (const record of [records.ep1, records.ep2]) {
        delete record.join;
        store.endpoints.put(record.id, record);
      }
      await store.close();

      controller = await h.controller({ drivers: undefined });
      assert.deepEqual(controller.recovery.sandboxes, [records.deleting.id]);
      assert.deepEqual(controller.recovery.namespaces, [records.deleting.nsName]);
      assert.equal(existsSync(records.deleting.key), false);
      assert.deepEqual(
        controller.sandboxes().map((sandbox) => sandbox.id()),
        [records.kept.id],
      );
      assert.ok(
        controller.recovery.links.some((link) => link.startsWith(`host:veth${ep2.id().slice(0, 10)}`)),
        `the host end of ep2's join is swept: ${JSON.stringify(controller.recovery.links)}`,
      );
      const bridge = `br-${network.id().slice(0, 12)}`;
      assert.deepEqual(
        controller.store.links.all().map((row) => row.name),
        [bridge],
        'only the bridge keeps a row',
      );
      const hostLinks = (): string[] =>
        ipJson<Array<{ ifname: string }>>(h.host.path as string, 'link')
          .map((link) => link.ifname)
          .sort();
      await kernelSettled(() => hostLinks().length === 2);
      assert.deepEqual(hostLinks(), [bridge, 'lo']);
      assert.deepEqual(
        ipJson<Array<{ ifname: string }>>(records.kept.key, 'link').map((link) => link.ifname),
        ['lo'],
        'the kept sandbox lost the interface of the join that is gone',
      );

      const again = controller.networkByName('n')!.endpointByName('ep2')!;
      const box = controller.sandboxByContainerId('kept')!;
      await again.join(box);
      assert.ok(ping(box.key(), '10.74.0.1'));
    } finally {
      await controller.close();
      h.cleanup();
    }
  },
);
