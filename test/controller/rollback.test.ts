// Every failure rolls back what the operation did: the driver's work, IPAM, plumbing, tables.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InternalError, ControllerStore } from '../../host/index.js';
import { ipJson, makeHost, withController, type IpAddr } from './fixtures.js';
import { needsRoot } from '../support/root.js';

test('a failed CreateNetwork releases its pool and leaves no record', needsRoot, async () => {
  const h = makeHost();
  let controller = await h.controller();
  try {
    h.driver.failOn.add('createNetwork');
    await assert.rejects(
      controller.newNetwork('bridge', 'n', { ipam: { config: [{ subnet: '10.50.0.0/24' }] } }),
      (e: unknown) => e instanceof InternalError && /CreateNetwork: injected/.test(e.message),
    );
    assert.deepEqual(controller.networks(), []);
    h.driver.failOn.clear();
    const network = await controller.newNetwork('bridge', 'n', { ipam: { config: [{ subnet: '10.50.0.0/24' }] } });
    assert.equal(network.info().ipv4[0]?.gateway, '10.50.0.1/24', 'the pool and its gateway were released');
    await network.delete();
    await controller.close();
    const store = ControllerStore.open(h.dataDir);
    assert.deepEqual(store.networks.all(), []);
    await store.close();
    controller = await h.controller();
  } finally {
    await controller.close();
    h.cleanup();
  }
});

test('a failed CreateEndpoint is followed by DeleteEndpoint and gives its address back', needsRoot, () =>
  withController(async (h, controller) => {
    const network = await controller.newNetwork('bridge', 'n', { ipam: { config: [{ subnet: '10.51.0.0/24' }] } });
    h.driver.failOn.add('createEndpoint');
    await assert.rejects(network.createEndpoint('ep'), InternalError);
    const created = h.driver.calls.find((c) => c.method === 'createEndpoint');
    const deleted = h.driver.calls.find((c) => c.method === 'deleteEndpoint');
    assert.deepEqual(deleted?.args, created?.args.slice(0, 2));
    assert.deepEqual(network.endpoints(), []);
    h.driver.failOn.clear();
    const ep = await network.createEndpoint('ep');
    assert.equal(ep.info().ipv4Address, '10.51.0.2/24');
    await ep.delete();
    await network.delete();
  }),
);

test(
  'a driver that fails in Join, a plumbing failure, and a failed ProgramExternalConnectivity each leave nothing behind',
  needsRoot,
  () =>
    withController(async (h, controller) => {
      h.driver.tables = ['t'];
      const network = await controller.newNetwork('bridge', 'n', { ipam: { config: [{ subnet: '10.52.0.0/24' }] } });
      const ep = await network.createEndpoint('ep');
      const box = await controller.newSandbox('c');
      const interfaces = (): string[] => ipJson<IpAddr[]>(box.key(), 'addr').map((a) => a.ifname);

      h.driver.failOn.add('join');
      await assert.rejects(ep.join(box), /Join: injected join failure/);
      assert.equal(ep.info().sandboxKey, undefined);
      assert.deepEqual(box.endpoints(), []);
      h.driver.failOn.clear();

      h.driver.badSrcName = true;
      await assert.rejects(ep.join(box), /configure eth0/);
      assert.equal(h.driver.count('leave'), 1, 'the driver was asked to Leave');
      assert.deepEqual(
        interfaces().filter((name) => name !== 'lo' && !name.startsWith('tp')),
        [],
      );
      h.driver.badSrcName = false;

      h.driver.failOn.add('programExternalConnectivity');
      await assert.rejects(ep.join(box), /ProgramExternalConnectivity: injected/);
      assert.equal(h.driver.count('leave'), 2);
      assert.deepEqual(interfaces(), ['lo'], 'eth0 was removed and the veth went with it');
      assert.equal(ep.info().sandboxKey, undefined);
      h.driver.failOn.clear();

      await ep.join(box);
      assert.deepEqual(interfaces(), ['lo', 'eth0']);
      assert.equal(ep.info().interfaceName, 'eth0');
      await box.delete();
      await ep.delete();
      await network.delete();
      assert.deepEqual(
        h.warnings.filter((w) => !/Leave|remove/.test(w)),
        [],
      );
    }),
);
