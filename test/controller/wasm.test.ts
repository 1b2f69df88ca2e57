// The controller over the real Wasm driver runtime and the built-in guest drivers (bridge, null),
// plumbing inside the test's own host namespace.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { MAC_ADDRESS } from '../../host/controller/index.js';
import { ipJson, kernelSettled, makeHost, ping, withController, type IpAddr, type IpRoute } from './fixtures.js';
import { needsRoot } from '../support/root.js';

test(
  'Wasm bridge: two sandboxes ping each other; null gives no interface; a restart keeps it all working',
  needsRoot,
  async () => {
    const h = makeHost();
    let controller = await h.controller({ drivers: undefined });
    try {
      const network = await controller.newNetwork('bridge', 'wbr', { ipam: { config: [{ subnet: '10.80.0.0/24' }] } });
      const [bridge] = ipJson<Array<{ address: string; linkinfo: { info_data: { mcast_snooping: number } } }>>(
        h.host.path as string,
        '-d',
        'link',
        'show',
        `br-${network.id().slice(0, 12)}`,
      );
      assert.equal(bridge?.linkinfo.info_data.mcast_snooping, 0, 'the host turns multicast snooping off');
      assert.match(bridge?.address ?? '', /^06:/, "the bridge's own MAC, not a port's");
      const ep1 = await network.createEndpoint('ep1');
      const ep2 = await network.createEndpoint('ep2');
      const s1 = await controller.newSandbox('c1');
      const s2 = await controller.newSandbox('c2');
      await ep1.join(s1);
      await ep2.join(s2);
      assert.equal((await ep1.driverInfo())[MAC_ADDRESS], '02:42:0a:50:00:02');
      assert.deepEqual(
        ipJson<IpRoute[]>(s1.key(), 'route', 'show', 'default').map((r) => [r.gateway, r.dev]),
        [['10.80.0.1', 'eth0']],
      );
      assert.ok(ping(s1.key(), '10.80.0.3'));

      const none = await controller.newNetwork('null', 'none');
      const epNone = await none.createEndpoint('n');
      await epNone.join(s1);
      assert.deepEqual(
        ipJson<IpAddr[]>(s1.key(), 'addr').map((a) => a.ifname),
        ['lo', 'eth0'],
      );
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
      const hostLinks = (): string[] => ipJson<IpAddr[]>(h.host.path as string, 'link').map((l) => l.ifname);
      await kernelSettled(() => hostLinks().length === 1);
      assert.deepEqual(hostLinks(), ['lo'], 'the bridge and the veths are gone');
    } finally {
      await controller.close();
      h.cleanup();
    }
  },
);

test(
  'Wasm bridge: an endpoint re-joins the sandbox it left, and joins a new one after its sandbox is deleted',
  needsRoot,
  () =>
    withController(
      async (_h, controller) => {
        const network = await controller.newNetwork('bridge', 'again', {
          ipam: { config: [{ subnet: '10.81.0.0/24' }] },
        });
        const ep = await network.createEndpoint('ep');
        const peer = await network.createEndpoint('peer');
        const box = await controller.newSandbox('c1');
        const peerBox = await controller.newSandbox('c2');
        await peer.join(peerBox);
        for (let round = 0; round < 3; round++) {
          await ep.join(box);
          assert.equal(ep.info().interfaceName, 'eth0', `round ${round}`);
          assert.ok(ping(box.key(), '10.81.0.3'), `round ${round}: reaches its peer`);
          await ep.leave(box);
          assert.deepEqual(
            ipJson<IpAddr[]>(box.key(), 'link').map((l) => l.ifname),
            ['lo'],
            `round ${round}: the interface is gone`,
          );
        }
        await ep.join(box);
        await box.delete();
        // Straight after: the deleted namespace's host-side veth may still be there.
        const next = await controller.newSandbox('c3');
        await ep.join(next);
        assert.ok(ping(next.key(), '10.81.0.3'), 'reaches its peer from the new sandbox');
        await next.delete();
        await peerBox.delete();
        await ep.delete();
        await peer.delete();
        await network.delete();
        assert.deepEqual(controller.store.links.all(), [], 'no ownership row is left');
      },
      { drivers: undefined },
    ),
);

test(
  'Wasm bridge: the container end is created under the name the host offers (never renamed), with one queue each way',
  needsRoot,
  () =>
    withController(
      async (_h, controller) => {
        const network = await controller.newNetwork('bridge', 'named', {
          ipam: { config: [{ subnet: '10.83.0.0/24' }] },
        });
        const other = await controller.newNetwork('bridge', 'named2', {
          ipam: { config: [{ subnet: '10.84.0.0/24' }] },
        });
        const box = await controller.newSandbox('c1');
        const first = await network.createEndpoint('first');
        const second = await other.createEndpoint('second');
        await first.join(box);
        await second.join(box, { interfaceName: 'data0' });
        // The kernel marks a renamed link NET_NAME_RENAMED (4); one created under its name is NET_NAME_USER (3).
        const nameAssignType = (name: string): string =>
          execFileSync(
            'nsenter',
            [
              `--net=${box.key()}`,
              'unshare',
              '--mount',
              'sh',
              '-c',
              `mount -t sysfs sysfs /sys && cat /sys/class/net/${name}/name_assign_type`,
            ],
            { encoding: 'utf8' },
          ).trim();
        assert.equal(nameAssignType('eth0'), '3');
        assert.equal(nameAssignType('data0'), '3');
        const links = ipJson<Array<{ ifname: string; num_tx_queues: number; num_rx_queues: number }>>(
          box.key(),
          '-d',
          'link',
          'show',
          'type',
          'veth',
        );
        assert.deepEqual(
          links.map((l) => [l.ifname, l.num_tx_queues, l.num_rx_queues]),
          [
            ['eth0', 1, 1],
            ['data0', 1, 1],
          ],
        );
        assert.ok(ping(box.key(), '10.83.0.1') && ping(box.key(), '10.84.0.1'), 'both gateways answer');
        await box.delete();
        await first.delete();
        await second.delete();
        await network.delete();
        await other.delete();
      },
      { drivers: undefined },
    ),
);

test(
  "Wasm bridge: a bridge re-made behind the host's back (a new index) is not the driver's: no veth goes under it",
  needsRoot,
  () =>
    withController(
      async (h, controller) => {
        const network = await controller.newNetwork('bridge', 'remade', {
          ipam: { config: [{ subnet: '10.82.0.0/24' }] },
        });
        const bridge = `br-${network.id().slice(0, 12)}`;
        const first = await network.createEndpoint('first');
        const box1 = await controller.newSandbox('c1');
        await first.join(box1);
        const hostIp = (...args: string[]): void => {
          execFileSync('nsenter', [`--net=${h.host.path as string}`, 'ip', ...args], { stdio: 'ignore' });
        };
        const indexOf = (): number =>
          ipJson<Array<{ ifindex: number }>>(h.host.path as string, 'link', 'show', bridge)[0]!.ifindex;
        const before = indexOf();
        hostIp('link', 'del', bridge);
        hostIp('link', 'add', bridge, 'type', 'bridge');
        hostIp('link', 'set', bridge, 'up');
        const foreign = indexOf();
        assert.notEqual(foreign, before);
        const second = await network.createEndpoint('second');
        const box2 = await controller.newSandbox('c2');
        // Ownership follows the link, not its name: the bridge the driver made is gone.
        await assert.rejects(second.join(box2), { code: 'not-found' });
        const ports = ipJson<Array<{ ifname: string }>>(h.host.path as string, 'link', 'show', 'master', bridge);
        assert.deepEqual(ports, [], 'no veth is a port of the foreign bridge');
        await box1.delete();
        await box2.delete();
        await first.delete();
        await second.delete();
        await network.delete();
        assert.equal(indexOf(), foreign, 'network rm left the foreign bridge');
        hostIp('link', 'del', bridge);
      },
      { drivers: undefined },
    ),
);

test(
  'host network: endpoints join only a sandbox in the host namespace (useDefaultSandbox), and no other endpoint does',
  needsRoot,
  () =>
    withController(
      async (h, controller) => {
        const host = await controller.newNetwork('host', 'host');
        const bridge = await controller.newNetwork('bridge', 'br', { ipam: { config: [{ subnet: '10.82.0.0/24' }] } });
        const hostEp = await host.createEndpoint('h');
        const bridgeEp = await bridge.createEndpoint('b');
        const shared = await controller.newSandbox('shared', { useDefaultSandbox: true, hostname: 'shared' });
        const own = await controller.newSandbox('own');
        assert.equal(shared.key(), h.host.path, "the host's namespace is the sandbox's key");
        await assert.rejects(bridgeEp.join(shared), { name: 'ForbiddenError', code: 'host-network' });
        await assert.rejects(hostEp.join(own), { name: 'ForbiddenError', code: 'host-network' });
        await hostEp.join(shared);
        assert.equal(hostEp.info().sandboxKey, h.host.path);
        await bridgeEp.join(own);
        await shared.delete();
        await own.delete();
        assert.deepEqual(
          ipJson<IpAddr[]>(h.host.path as string, 'addr', 'show', 'dev', 'lo').map((a) => a.ifname),
          ['lo'],
          "the host's namespace is still there",
        );
        await hostEp.delete();
        await bridgeEp.delete();
        await host.delete();
        await bridge.delete();
      },
      { drivers: undefined },
    ),
);
