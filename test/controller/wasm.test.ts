// The controller over the real Wasm driver runtime and the built-in guest drivers (bridge, null),
// plumbing inside the test's own host namespace.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAC_ADDRESS } from '../../host/controller/index.js';
import { ipJson, makeHost, ping, type IpAddr, type IpRoute } from './fixtures.js';

test('Wasm bridge: two sandboxes ping each other; null gives no interface; a restart keeps it all working', async () => {
  const h = makeHost();
  let controller = await h.controller({ drivers: undefined });
  try {
    const network = await controller.newNetwork('bridge', 'wbr', { ipam: { config: [{ subnet: '10.80.0.0/24' }] } });
    const ep1 = await network.createEndpoint('ep1');
    const ep2 = await network.createEndpoint('ep2');
    const s1 = await controller.newSandbox('c1');
    const s2 = await controller.newSandbox('c2');
    await ep1.join(s1);
    await ep2.join(s2);
    assert.equal((await ep1.driverInfo())[MAC_ADDRESS], '02:42:0a:50:00:02');
    assert.deepEqual(ipJson<IpRoute[]>(s1.key(), 'route', 'show', 'default').map((r) => [r.gateway, r.dev]), [['10.80.0.1', 'eth0']]);
    assert.ok(ping(s1.key(), '10.80.0.3'));

    const none = await controller.newNetwork('null', 'none');
    const epNone = await none.createEndpoint('n');
    await epNone.join(s1);
    assert.deepEqual(ipJson<IpAddr[]>(s1.key(), 'addr').map((a) => a.ifname), ['lo', 'eth0']);
    await epNone.leave(s1);
    await epNone.delete();
    await none.delete();
    await controller.close();

    controller = await h.controller({ drivers: undefined });
    const restored = controller.networkByName('wbr')!;
    const ep3 = await restored.createEndpoint('ep3');
    const s3 = await controller.newSandbox('c3');
    await ep3.join(s3);
    assert.equal(ep3.info().ipv4Address, '10.80.0.4/24');
    assert.ok(ping(s3.key(), '10.80.0.2'));
    assert.ok(ping(s1.key(), '10.80.0.4'));
    for (const box of controller.sandboxes()) await box.delete();
    for (const ep of restored.endpoints()) await ep.delete();
    await restored.delete();
    assert.deepEqual(ipJson<IpAddr[]>(h.host.path as string, 'link').map((l) => l.ifname), ['lo'], 'the bridge and the veths are gone');
  } finally {
    await controller.close();
    h.cleanup();
  }
});
