// The built-in bridge driver (guest-drivers/bridge), driven through the driver API against the
// SDK's mock host: what it asks the host to plumb, what it sets, what it refuses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  MockHost,
  MockInterfaceInfo,
  MockJoinInfo,
  MockNetworkInfo,
  errorOf,
  loadDriver,
  type LoadedDriver,
} from '@wasmnet/sdk';
import { BUILT_GUEST_DRIVERS } from './paths.js';

const NETWORK = 'a1b2c3d4e5f6a7b8c9d0';
const ENDPOINT = 'e1e2e3e4e5e6e7e8e9e0';
const POOL = [{ addressSpace: 'LocalDefault', pool: '172.18.0.0/16', gateway: '172.18.0.1/16', auxAddresses: [] }];

async function bridge(): Promise<LoadedDriver & { id: number }> {
  const loaded = await loadDriver(join(BUILT_GUEST_DRIVERS, 'bridge.wasm'), new MockHost());
  return { ...loaded, id: loaded.handle('bridge') };
}

test('registers the bridge network type with local scope', async () => {
  const { host, driver, id } = await bridge();
  assert.deepEqual(
    host.drivers.map((d) => [d.name, d.capability]),
    [['bridge', { dataScope: 'local', connectivityScope: 'local', externalConnectivity: 'ports' }]],
  );
  assert.equal(driver.type(id), 'bridge');
});

test('create-network makes a bridge named br-<id prefix>, with a fixed MAC, holding the gateway address', async () => {
  const { host, driver, id } = await bridge();
  driver.createNetwork(id, NETWORK, [], new MockNetworkInfo(), POOL, []);
  const [link] = host.calls('linkAdd');
  assert.deepEqual(link?.ns, { tag: 'host' });
  const spec = link?.args[0] as { mac: string };
  assert.match(spec.mac, /^06(:[0-9a-f]{2}){5}$/, "locally administered, never a port's MAC");
  assert.deepEqual(spec, {
    name: 'br-a1b2c3d4e5f6',
    kind: { tag: 'bridge' },
    mtu: undefined,
    mac: spec.mac,
    master: undefined,
    up: true,
  });
  assert.deepEqual(
    host.calls('addrAdd').map((call) => call.args[0]),
    [{ link: 'br-a1b2c3d4e5f6', cidr: '172.18.0.1/16', nodad: true }],
  );
});

test('the bridge name and MTU options are honoured', async () => {
  const { host, driver, id } = await bridge();
  driver.createNetwork(
    id,
    NETWORK,
    [
      ['com.docker.network.bridge.name', 'wnbr0'],
      ['com.docker.network.driver.mtu', '1400'],
    ],
    new MockNetworkInfo(),
    POOL,
    [],
  );
  const spec = host.calls('linkAdd')[0]?.args[0] as { name: string; mtu: number };
  assert.equal(spec.name, 'wnbr0');
  assert.equal(spec.mtu, 1400);
});

test('options it does not implement are refused, never ignored', async () => {
  const { host, driver, id } = await bridge();
  for (const option of [
    ['com.docker.network.bridge.enable_icc', 'no'],
    ['com.docker.network.bridge.enable_ip_masquerade', 'maybe'],
    ['com.docker.network.bridge.host_binding_ipv4', '0.0.0.0'],
    ['com.docker.network.driver.mtu', 'big'],
    ['com.docker.network.bridge.name', 'a-name-longer-than-15'],
  ] as const) {
    const error = errorOf(() =>
      driver.createNetwork(id, NETWORK, [[option[0], option[1]]], new MockNetworkInfo(), POOL, []),
    ) as { tag: string; val: string };
    assert.equal(error.tag, 'invalid-parameter', option[0]);
    assert.match(error.val, new RegExp(option[0].replace(/\./g, '\\.')));
  }
  assert.equal(host.calls('linkAdd').length, 0, 'nothing was created');
});

test('a failed gateway address rolls the bridge back', async () => {
  const { host, driver, id } = await bridge();
  host.failNext('addrAdd', 'internal', 'EADDRNOTAVAIL');
  assert.equal(
    (errorOf(() => driver.createNetwork(id, NETWORK, [], new MockNetworkInfo(), POOL, [])) as { tag: string }).tag,
    'internal',
  );
  assert.deepEqual(
    host.calls('linkDel').map((call) => call.args[0]),
    ['br-a1b2c3d4e5f6'],
  );
});

test('create-endpoint derives the MAC from the IPv4 address, as libnetwork does', async () => {
  const { driver, id } = await bridge();
  driver.createNetwork(id, NETWORK, [], new MockNetworkInfo(), POOL, []);
  const info = new MockInterfaceInfo({ address: '172.18.0.2/16' });
  driver.createEndpoint(id, NETWORK, ENDPOINT, info, []);
  assert.equal(info.mac, '02:42:ac:12:00:02');
  assert.deepEqual(driver.endpointOperInfo(id, NETWORK, ENDPOINT), [
    ['com.docker.network.endpoint.macaddress', '02:42:ac:12:00:02'],
  ]);
});

test('a MAC given by the user is kept', async () => {
  const { driver, id } = await bridge();
  driver.createNetwork(id, NETWORK, [], new MockNetworkInfo(), POOL, []);
  const info = new MockInterfaceInfo({ address: '172.18.0.2/16', mac: '02:00:00:00:00:aa' });
  driver.createEndpoint(id, NETWORK, ENDPOINT, info, []);
  assert.equal(info.mac, '02:00:00:00:00:aa');
});

test('a network asks the firewall for forwarding, masquerade, isolation and, with ICC off, the drop', async () => {
  const { host, driver, id } = await bridge();
  driver.createNetwork(
    id,
    NETWORK,
    [['com.docker.network.bridge.enable_icc', 'false']],
    new MockNetworkInfo(),
    POOL,
    [],
  );
  const bridgeName = 'br-a1b2c3d4e5f6';
  assert.deepEqual(host.firewallRules, [
    { tag: 'accept-forwarding', val: { bridge: bridgeName, external: true } },
    { tag: 'masquerade', val: { subnet: '172.18.0.0/16', bridge: bridgeName } },
    { tag: 'isolate', val: bridgeName },
    { tag: 'drop-inter-container', val: bridgeName },
  ]);
});

test('an internal network forwards only between its ports and masquerades nothing', async () => {
  const { host, driver, id } = await bridge();
  driver.createNetwork(id, NETWORK, [['com.docker.network.internal', 'true']], new MockNetworkInfo(), POOL, []);
  assert.deepEqual(
    host.firewallRules.map((rule) => rule.tag),
    ['accept-forwarding', 'isolate'],
  );
  assert.deepEqual(host.firewallRules[0], {
    tag: 'accept-forwarding',
    val: { bridge: 'br-a1b2c3d4e5f6', external: false },
  });
});

test('ports given at join are published at ProgramExternalConnectivity and revoked after', async () => {
  const { host, driver, id } = await bridge();
  driver.createNetwork(id, NETWORK, [], new MockNetworkInfo(), POOL, []);
  driver.createEndpoint(id, NETWORK, ENDPOINT, new MockInterfaceInfo({ address: '172.18.0.2/16' }), []);
  const portMap = '[{"Proto":6,"IP":"","Port":80,"HostIP":"","HostPort":8080,"HostPortEnd":8080}]';
  driver.join(id, NETWORK, ENDPOINT, '/run/wasmnet/sb1', new MockJoinInfo(), [['com.docker.network.portmap', portMap]]);
  driver.programExternalConnectivity(id, NETWORK, ENDPOINT, []);
  const published = {
    tag: 'publish',
    val: {
      bridge: 'br-a1b2c3d4e5f6',
      protocol: 'tcp',
      hostIp: undefined,
      hostPort: 8080,
      containerIp: '172.18.0.2',
      containerPort: 80,
    },
  };
  assert.deepEqual(host.firewallRules.at(-1), published);
  assert.deepEqual(driver.endpointOperInfo(id, NETWORK, ENDPOINT).at(-1), ['com.docker.network.portmap', portMap]);
  driver.revokeExternalConnectivity(id, NETWORK, ENDPOINT);
  assert.equal(host.firewallRules.filter((rule) => rule.tag === 'publish').length, 0);
});

test('bad ports and published ports on an internal network are refused', async () => {
  const { host, driver, id } = await bridge();
  driver.createNetwork(id, NETWORK, [], new MockNetworkInfo(), POOL, []);
  for (const bad of [
    '[{"Proto":6,"Port":80,"HostPort":0}]',
    '[{"Proto":6,"Port":80,"HostPort":70000}]',
    '[{"Proto":132,"Port":80,"HostPort":8080}]',
    '[{"Proto":6,"Port":80,"HostPort":8080,"HostPortEnd":8090}]',
    'not json',
  ]) {
    const error = errorOf(() =>
      driver.createEndpoint(id, NETWORK, ENDPOINT, new MockInterfaceInfo({ address: '172.18.0.2/16' }), [
        ['com.docker.network.portmap', bad],
      ]),
    ) as { tag: string };
    assert.equal(error.tag, 'invalid-parameter', bad);
  }
  const internal = 'b1b2c3d4e5f6a7b8c9d0';
  driver.createNetwork(id, internal, [['com.docker.network.internal', 'true']], new MockNetworkInfo(), POOL, []);
  const error = errorOf(() =>
    driver.createEndpoint(id, internal, ENDPOINT, new MockInterfaceInfo({ address: '172.18.0.2/16' }), [
      ['com.docker.network.portmap', '[{"Proto":6,"Port":80,"HostPort":8080}]'],
    ]),
  ) as { tag: string; val: string };
  assert.equal(error.tag, 'invalid-parameter');
  assert.match(error.val, /internal/);
  assert.equal(host.firewallCalls.filter((call) => call.rule.tag === 'publish').length, 0);
});

test('join creates the veth with its peer in the sandbox, names it eth*, and sets the gateway', async () => {
  const { host, driver, id } = await bridge();
  driver.createNetwork(id, NETWORK, [], new MockNetworkInfo(), POOL, []);
  driver.createEndpoint(id, NETWORK, ENDPOINT, new MockInterfaceInfo({ address: '172.18.0.2/16' }), []);
  const joinInfo = new MockJoinInfo();
  driver.join(id, NETWORK, ENDPOINT, '/run/wasmnet/sb1', joinInfo, []);
  const veth = host.calls('linkAdd')[1]?.args[0] as {
    name: string;
    kind: { tag: string; val: { name: string; netns: unknown; mac: string } };
    master: string;
  };
  assert.equal(veth.name, 'vethe1e2e3e4e50');
  assert.equal(veth.master, 'br-a1b2c3d4e5f6');
  assert.deepEqual(veth.kind, {
    tag: 'veth',
    val: { name: 'wne1e2e3e4e5e6e', netns: { tag: 'sandbox', val: '/run/wasmnet/sb1' }, mac: '02:42:ac:12:00:02' },
  });
  assert.deepEqual(joinInfo.names, { srcName: 'wne1e2e3e4e5e6e', dstPrefix: 'eth' });
  assert.equal(joinInfo.gateway, '172.18.0.1');
});

test('an internal network gives no gateway (no default route)', async () => {
  const { driver, id } = await bridge();
  driver.createNetwork(id, NETWORK, [['com.docker.network.internal', 'true']], new MockNetworkInfo(), POOL, []);
  driver.createEndpoint(id, NETWORK, ENDPOINT, new MockInterfaceInfo({ address: '172.18.0.2/16' }), []);
  const joinInfo = new MockJoinInfo();
  driver.join(id, NETWORK, ENDPOINT, '/run/wasmnet/sb1', joinInfo, []);
  assert.equal(joinInfo.gateway, undefined);
});

test('IPv6: the IPv6 gateway is on the bridge and handed to the sandbox when enabled', async () => {
  const { host, driver, id } = await bridge();
  const v6 = [{ addressSpace: 'LocalDefault', pool: 'fd00:1::/64', gateway: 'fd00:1::1/64', auxAddresses: [] }];
  driver.createNetwork(id, NETWORK, [['com.docker.network.enable_ipv6', 'true']], new MockNetworkInfo(), POOL, v6);
  assert.deepEqual(
    host.calls('addrAdd').map((call) => (call.args[0] as { cidr: string }).cidr),
    ['172.18.0.1/16', 'fd00:1::1/64'],
  );
  driver.createEndpoint(
    id,
    NETWORK,
    ENDPOINT,
    new MockInterfaceInfo({ address: '172.18.0.2/16', addressIpv6: 'fd00:1::2/64' }),
    [],
  );
  const joinInfo = new MockJoinInfo();
  driver.join(id, NETWORK, ENDPOINT, '/run/wasmnet/sb1', joinInfo, []);
  assert.equal(joinInfo.gatewayIpv6, 'fd00:1::1');
});

test("the bridge's port limit surfaces as a clear error", async () => {
  const { host, driver, id } = await bridge();
  driver.createNetwork(id, NETWORK, [], new MockNetworkInfo(), POOL, []);
  driver.createEndpoint(id, NETWORK, ENDPOINT, new MockInterfaceInfo({ address: '172.18.0.2/16' }), []);
  host.failNext('linkAdd', 'internal', 'EXFULL: Exchange full');
  const error = errorOf(() => driver.join(id, NETWORK, ENDPOINT, '/run/wasmnet/sb1', new MockJoinInfo(), [])) as {
    tag: string;
    val: string;
  };
  assert.equal(error.tag, 'invalid-parameter');
  assert.match(error.val, /limit of 1023 ports/);
});

test("a host-side name still taken (a deleted sandbox's veth lingers) is retried with the next suffix", async () => {
  const { host, driver, id } = await bridge();
  driver.createNetwork(id, NETWORK, [], new MockNetworkInfo(), POOL, []);
  driver.createEndpoint(id, NETWORK, ENDPOINT, new MockInterfaceInfo({ address: '172.18.0.2/16' }), []);
  host.failNext('linkAdd', 'invalid-parameter', 'RTM_NEWLINK: EEXIST');
  driver.join(id, NETWORK, ENDPOINT, '/run/wasmnet/sb1', new MockJoinInfo(), []);
  assert.deepEqual(
    host
      .calls('linkAdd')
      .slice(1)
      .map((call) => (call.args[0] as { name: string }).name),
    ['vethe1e2e3e4e50', 'vethe1e2e3e4e51'],
  );
});

test('leave leaves the pair to the host (it goes with the sandbox interface); delete-network deletes the bridge', async () => {
  const { host, driver, id } = await bridge();
  driver.createNetwork(id, NETWORK, [], new MockNetworkInfo(), POOL, []);
  driver.createEndpoint(id, NETWORK, ENDPOINT, new MockInterfaceInfo({ address: '172.18.0.2/16' }), []);
  driver.join(id, NETWORK, ENDPOINT, '/run/wasmnet/sb1', new MockJoinInfo(), []);
  driver.leave(id, NETWORK, ENDPOINT);
  driver.deleteEndpoint(id, NETWORK, ENDPOINT);
  driver.deleteNetwork(id, NETWORK);
  assert.deepEqual(
    host.calls('linkDel').map((call) => call.args[0]),
    ['br-a1b2c3d4e5f6'],
  );
  assert.equal(host.store.size, 0, 'the driver forgot the network and the endpoint');
});
