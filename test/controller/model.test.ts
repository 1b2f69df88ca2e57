// The libnetwork model on real namespaces (hermetic: a private "host" namespace per test):
// the README flow, libnetwork's rules and their typed errors, and the sandbox files.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  ActiveContainerError,
  ActiveEndpointsError,
  EndpointExistsError,
  EndpointInUseError,
  ForbiddenError,
  InvalidParameterError,
  NetworkNameError,
  NotFoundError,
  NotJoinedError,
  MAC_ADDRESS,
} from '../../host/controller/index.js';
import { Rtnl } from '../../host/netlink/index.js';
import type { Controller } from '../../host/wiring/index.js';
import { PORT_MAP_OPTION } from '../../host/controller/ports.js';
import { ipJson, makeHost, ping, type TestHost, withController, type IpAddr, type IpRoute } from './fixtures.js';
import { needsRoot } from '../support/root.js';

test(
  'README flow: network1, Endpoint1, container1; join, driverInfo, info, files; then everything goes',
  needsRoot,
  () =>
    withController(async (h, controller) => {
      const network = await controller.newNetwork('bridge', 'network1', {
        ipam: { config: [{ subnet: '10.40.0.0/24' }] },
      });
      const ep = await network.createEndpoint('Endpoint1');
      const sbox = await controller.newSandbox('container1', { hostname: 'test', domainname: 'docker.io' });
      await ep.join(sbox);
      const driverInfo = await ep.driverInfo();
      assert.equal(driverInfo[MAC_ADDRESS], '02:42:0a:28:00:02');
      const info = ep.info();
      assert.equal(info.ipv4Address, '10.40.0.2/24');
      assert.equal(info.gateway, '10.40.0.1');
      assert.equal(info.interfaceName, 'eth0');
      assert.equal(info.sandboxKey, sbox.key());
      assert.equal(sbox.containerId(), 'container1');
      assert.ok(sbox.key().startsWith(h.netnsDir));

      const addrs = ipJson<IpAddr[]>(sbox.key(), 'addr', 'show', 'eth0');
      assert.deepEqual(
        addrs[0]?.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
        ['10.40.0.2/24'],
      );
      const routes = ipJson<IpRoute[]>(sbox.key(), 'route', 'show', 'default');
      assert.deepEqual(
        routes.map((r) => [r.gateway, r.dev]),
        [['10.40.0.1', 'eth0']],
      );
      assert.ok(ping(sbox.key(), '10.40.0.1'), 'the sandbox reaches its gateway on the bridge');

      const { hostsPath, resolvConfPath } = sbox.info();
      assert.match(readFileSync(hostsPath, 'utf8'), /^10\.40\.0\.2\ttest\.docker\.io test$/m);
      assert.match(readFileSync(hostsPath, 'utf8'), /^127\.0\.0\.1\tlocalhost$/m);
      // The embedded DNS serves it: its resolver, then the host's search domains and options.
      assert.equal(
        readFileSync(resolvConfPath, 'utf8'),
        'nameserver 127.0.0.11\nsearch example.test\noptions ndots:2\n',
      );

      assert.equal(controller.networkByName('network1'), network);
      assert.equal(controller.networkById(network.id()), network);
      assert.deepEqual(controller.sandboxes(), [sbox]);

      const inode = statSync(hostsPath).ino;
      await ep.leave(sbox);
      // Rewritten in place (a container bind-mounts it): same inode, the shorter text and nothing after it.
      assert.equal(statSync(hostsPath).ino, inode);
      assert.doesNotMatch(readFileSync(hostsPath, 'utf8'), /10\.40\.0\.2/);
      assert.match(readFileSync(hostsPath, 'utf8'), /^127\.0\.0\.1\tlocalhost\n(.+\n)*$/);
      assert.deepEqual(
        ipJson<IpAddr[]>(sbox.key(), 'addr').map((a) => a.ifname),
        ['lo'],
      );
      await ep.delete();
      const key = sbox.key();
      await sbox.delete();
      assert.equal(existsSync(key), false);
      assert.equal(existsSync(hostsPath), false);
      await network.delete();
      assert.deepEqual(controller.networks(), []);
      assert.equal(h.driver.networks.size, 0);
    }),
);

test(
  'libnetwork rules: unique names, no delete in use, one sandbox per endpoint, leave only what was joined',
  needsRoot,
  () =>
    withController(async (_h, controller) => {
      const network = await controller.newNetwork('bridge', 'net', { ipam: { config: [{ subnet: '10.41.0.0/24' }] } });
      await assert.rejects(
        controller.newNetwork('bridge', 'net'),
        (e: unknown) =>
          e instanceof NetworkNameError &&
          e.code === 'network-name' &&
          e.kind === 'forbidden' &&
          /net already exists/.test(e.message),
      );
      await assert.rejects(
        controller.newNetwork('nosuch', 'other'),
        (e: unknown) => e instanceof NotFoundError && e.code === 'no-such-driver',
      );
      const ep = await network.createEndpoint('ep');
      await assert.rejects(network.createEndpoint('ep'), EndpointExistsError);
      await assert.rejects(
        network.delete(),
        (e: unknown) => e instanceof ActiveEndpointsError && e.code === 'active-endpoints',
      );
      const a = await controller.newSandbox('a');
      const b = await controller.newSandbox('b');
      await assert.rejects(
        controller.newSandbox('a'),
        (e: unknown) => e instanceof ForbiddenError && e.code === 'sandbox-exists',
      );
      await assert.rejects(ep.leave(a), (e: unknown) => e instanceof NotJoinedError && e.code === 'not-joined');
      await ep.join(a);
      await assert.rejects(ep.join(b), EndpointInUseError);
      await assert.rejects(ep.join(a), (e: unknown) => e instanceof ForbiddenError && e.code === 'already-joined');
      const ep2 = await network.createEndpoint('ep2');
      await assert.rejects(ep2.join(a), (e: unknown) => e instanceof ForbiddenError && e.code === 'already-connected');
      await assert.rejects(ep.leave(b), NotJoinedError);
      await assert.rejects(ep.delete(), ActiveContainerError);
      await assert.rejects(network.createEndpoint('bad', { ipv4Address: '10.99.0.5' }), InvalidParameterError);
      await assert.rejects(network.createEndpoint('bad', { ipv6Address: 'fd00::5' }), InvalidParameterError);
      await ep.leave(a);
      await ep.delete();
      await assert.rejects(ep.delete(), NotFoundError);
      await ep2.delete();
      await a.delete();
      await assert.rejects(a.delete(), NotFoundError);
      await b.delete();
      await network.delete();
      await assert.rejects(network.delete(), NotFoundError);
    }),
);

test('two sandboxes on one network ping each other; preferred address and MAC are honoured', needsRoot, () =>
  withController(async (_h, controller) => {
    const network = await controller.newNetwork('bridge', 'net', { ipam: { config: [{ subnet: '10.42.0.0/24' }] } });
    const ep1 = await network.createEndpoint('ep1', { ipv4Address: '10.42.0.10', macAddress: '02:00:00:00:00:0A' });
    const ep2 = await network.createEndpoint('ep2');
    const s1 = await controller.newSandbox('c1');
    const s2 = await controller.newSandbox('c2');
    await ep1.join(s1);
    await ep2.join(s2);
    assert.equal(ep1.info().ipv4Address, '10.42.0.10/24');
    assert.equal(ep1.info().macAddress, '02:00:00:00:00:0a');
    assert.equal((await ep1.driverInfo())[MAC_ADDRESS], '02:00:00:00:00:0a');
    assert.equal(ep2.info().ipv4Address, '10.42.0.2/24');
    assert.ok(ping(s1.key(), '10.42.0.2'));
    assert.ok(ping(s2.key(), '10.42.0.10'));
    await s1.delete();
    await s2.delete();
    assert.equal(ep1.info().sandboxKey, undefined, 'deleting a sandbox leaves its endpoints');
  }),
);

/** A network of the test driver registered as `type` with the given externalConnectivity. */
function networkOf(
  h: TestHost,
  controller: Controller,
  type: string,
  externalConnectivity: 'none' | 'ports' | 'always',
  subnet: string,
) {
  h.registry.registerDriver(type, h.driver, { dataScope: 'local', connectivityScope: 'local', externalConnectivity });
  return controller.newNetwork(type, type, { ipam: { config: [{ subnet }] } });
}

test(
  "a driver registered with externalConnectivity 'none' is never asked to program or revoke; its gateway still routes",
  needsRoot,
  () =>
    withController(async (h, controller) => {
      const network = await networkOf(h, controller, 'quiet', 'none', '10.46.0.0/24');
      const box = await controller.newSandbox('quiet-box');
      const ep = await network.createEndpoint('q');
      await ep.join(box);
      assert.deepEqual(
        ipJson<IpRoute[]>(box.key(), 'route', 'show', 'default').map((r) => [r.gateway, r.dev]),
        [['10.46.0.1', 'eth0']],
      );
      await ep.leave(box);
      await ep.join(box);
      await box.delete();
      assert.equal(h.driver.count('programExternalConnectivity'), 0);
      assert.equal(h.driver.count('revokeExternalConnectivity'), 0);
      assert.equal(h.driver.count('join'), 2);
      await ep.delete();
      await network.delete();
    }),
);

test(
  "a driver registered with externalConnectivity 'ports' is asked to program and revoke only an endpoint with ports",
  needsRoot,
  () =>
    withController(async (h, controller) => {
      const network = await networkOf(h, controller, 'porty', 'ports', '10.47.0.0/24');
      const plain = await controller.newSandbox('plain-box', { options: { [PORT_MAP_OPTION]: '[]' } });
      const ep1 = await network.createEndpoint('p1');
      await ep1.join(plain);
      await plain.delete();
      assert.equal(h.driver.count('programExternalConnectivity'), 0, 'no ports: no call');
      assert.equal(h.driver.count('revokeExternalConnectivity'), 0);

      const exposing = await controller.newSandbox('exposing-box', {
        options: { 'com.docker.network.endpoint.exposedports': '[{"Proto":6,"Port":80}]' },
      });
      const ep2 = await network.createEndpoint('p2');
      await ep2.join(exposing);
      const ep3 = await network.createEndpoint('p3');
      const publishing = await controller.newSandbox('publishing-box');
      await ep3.join(publishing, { publish: [{ protocol: 'tcp', hostPort: 8080, containerPort: 80 }] });
      assert.deepEqual(
        h.driver.calls.filter((c) => c.method === 'programExternalConnectivity').map((c) => c.args[1]),
        [ep2.id(), ep3.id()],
      );
      // The sandbox is deleted before its endpoints leave: the revoke still sees its options.
      await exposing.delete();
      await publishing.delete();
      assert.deepEqual(
        h.driver.calls.filter((c) => c.method === 'revokeExternalConnectivity').map((c) => c.args[1]),
        [ep2.id(), ep3.id()],
      );
      for (const ep of [ep1, ep2, ep3]) await ep.delete();
      await network.delete();
    }),
);

test(
  'a sandbox on two networks: eth0 and eth1, one gateway endpoint, internal networks give no default route',
  needsRoot,
  () =>
    withController(async (h, controller) => {
      const internal = await controller.newNetwork('bridge', 'aaa-internal', {
        internal: true,
        ipam: { config: [{ subnet: '10.43.0.0/24' }] },
      });
      const front = await controller.newNetwork('bridge', 'front', { ipam: { config: [{ subnet: '10.44.0.0/24' }] } });
      const back = await controller.newNetwork('bridge', 'back', { ipam: { config: [{ subnet: '10.45.0.0/24' }] } });
      const box = await controller.newSandbox('multi');
      const epInternal = await internal.createEndpoint('i');
      const epFront = await front.createEndpoint('f');
      const epBack = await back.createEndpoint('b');

      await epInternal.join(box);
      assert.equal(epInternal.info().interfaceName, 'eth0');
      assert.deepEqual(
        ipJson<IpRoute[]>(box.key(), 'route', 'show', 'default'),
        [],
        'an internal network gives no default route',
      );
      assert.equal(h.driver.count('programExternalConnectivity'), 0);

      await epFront.join(box);
      assert.equal(epFront.info().interfaceName, 'eth1');
      assert.deepEqual(
        ipJson<IpRoute[]>(box.key(), 'route', 'show', 'default').map((r) => [r.gateway, r.dev]),
        [['10.44.0.1', 'eth1']],
      );
      assert.deepEqual(
        h.driver.calls.filter((c) => c.method === 'programExternalConnectivity').map((c) => c.args[1]),
        [epFront.id()],
      );

      // "back" sorts before "front" by network name: it takes the gateway, as in libnetwork.
      await epBack.join(box);
      assert.equal(epBack.info().interfaceName, 'eth2');
      assert.deepEqual(
        ipJson<IpRoute[]>(box.key(), 'route', 'show', 'default').map((r) => [r.gateway, r.dev]),
        [['10.45.0.1', 'eth2']],
      );
      assert.deepEqual(
        h.driver.calls.filter((c) => c.method === 'revokeExternalConnectivity').map((c) => c.args[1]),
        [epFront.id()],
      );
      const connected = ipJson<IpRoute[]>(box.key(), 'route', 'show')
        .map((r) => r.dst)
        .sort();
      assert.deepEqual(connected, ['10.43.0.0/24', '10.44.0.0/24', '10.45.0.0/24', 'default']);

      await epBack.leave(box);
      assert.deepEqual(
        ipJson<IpRoute[]>(box.key(), 'route', 'show', 'default').map((r) => [r.gateway, r.dev]),
        [['10.44.0.1', 'eth1']],
      );
      await epInternal.leave(box);
      const again = await back.createEndpoint('b2');
      await again.join(box);
      assert.equal(again.info().interfaceName, 'eth0', 'the lowest free index is reused');
      await box.delete();
    }),
);

test('gateway and aux addresses are reserved; IPAM excludes the host routes and nameservers', needsRoot, async () => {
  const h = makeHost();
  // A host route over 172.17.0.0/16 and a nameserver in 172.18.0.0/16: dynamic pools avoid both.
  const rtnl = new Rtnl(h.host);
  rtnl.linkAdd({ name: 'hostbr0', kind: { tag: 'bridge' }, up: true });
  rtnl.addrAdd({ link: 'hostbr0', cidr: '172.17.5.1/16', nodad: true });
  writeFileSync(h.resolvConfPath, 'nameserver 172.18.0.53\n');
  const controller = await h.controller();
  try {
    const dynamic = await controller.newNetwork('bridge', 'dyn');
    assert.equal(dynamic.info().ipv4[0]?.pool, '172.19.0.0/16');
    assert.equal(dynamic.info().ipv4[0]?.gateway, '172.19.0.1/16');

    const net = await controller.newNetwork('bridge', 'aux', {
      ipam: { config: [{ subnet: '10.46.0.0/24', gateway: '10.46.0.254', auxAddresses: { router: '10.46.0.2' } }] },
    });
    assert.deepEqual(net.info().ipv4[0]?.auxAddresses, { router: '10.46.0.2/24' });
    await assert.rejects(
      net.createEndpoint('gw', { ipv4Address: '10.46.0.254' }),
      (e: unknown) => e instanceof ForbiddenError && /ErrIPAlreadyAllocated/.test(e.message),
    );
    await assert.rejects(net.createEndpoint('aux', { ipv4Address: '10.46.0.2' }), ForbiddenError);
    const ep = await net.createEndpoint('first');
    assert.equal(ep.info().ipv4Address, '10.46.0.1/24');
    await assert.rejects(
      controller.newNetwork('bridge', 'bad', {
        ipam: { config: [{ subnet: '10.47.0.0/24', auxAddresses: { x: '10.48.0.1' } }] },
      }),
      (e: unknown) => e instanceof InvalidParameterError && /must belong to the master pool/.test(e.message),
    );
    await assert.rejects(
      controller.newNetwork('bridge', 'overlap', { ipam: { config: [{ subnet: '10.46.0.0/25' }] } }),
      ForbiddenError,
    );
    await ep.delete();
    await net.delete();
    await dynamic.delete();
  } finally {
    await controller.close();
    h.cleanup();
  }
});

test('IPv6: a dual-stack network gives the endpoint both addresses, in the sandbox and in /etc/hosts', needsRoot, () =>
  withController(async (h, controller) => {
    const network = await controller.newNetwork('bridge', 'v6', {
      enableIPv6: true,
      ipam: { config: [{ subnet: '10.49.0.0/24' }, { subnet: 'fd00:49::/64' }] },
    });
    assert.equal(network.info().ipv6[0]?.gateway, 'fd00:49::1/64');
    await assert.rejects(
      controller.newNetwork('bridge', 'v6off', { ipam: { config: [{ subnet: 'fd00:50::/64' }] } }),
      InvalidParameterError,
    );
    const ep = await network.createEndpoint('ep', { ipv6Address: 'fd00:49::a' });
    assert.equal(ep.info().ipv6Address, 'fd00:49::a/64');
    const box = await controller.newSandbox('c', { hostname: 'six' });
    await ep.join(box);
    const inet6 = ipJson<IpAddr[]>(box.key(), 'addr', 'show', 'eth0')[0]
      ?.addr_info.filter((a) => a.family === 'inet6' && a.local.startsWith('fd00'))
      .map((a) => `${a.local}/${a.prefixlen}`);
    assert.deepEqual(inet6, ['fd00:49::a/64']);
    assert.match(readFileSync(box.info().hostsPath, 'utf8'), /^fd00:49::a\tsix$/m);
    await box.delete();
    await ep.delete();
    await network.delete();
    assert.deepEqual(h.warnings, []);
  }),
);
