// The built-in macvlan driver (guest-drivers/macvlan), driven through the driver API against the
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
const SANDBOX = '/run/netns/sb1';
const POOL = [{ addressSpace: 'LocalDefault', pool: '192.168.50.0/24', gateway: '192.168.50.1/24', auxAddresses: [] }];
const POOL6 = [{ addressSpace: 'LocalDefault', pool: 'fd50::/64', gateway: 'fd50::1/64', auxAddresses: [] }];
const PARENT: [string, string] = ['parent', 'uplink0'];

async function macvlan(): Promise<LoadedDriver & { id: number }> {
  const host = new MockHost();
  host.addHostLink('uplink0');
  const loaded = await loadDriver(join(BUILT_GUEST_DRIVERS, 'macvlan.wasm'), host);
  return { ...loaded, id: loaded.handle('macvlan') };
}

type Failure = { tag: string; val: string };

test('registers the macvlan network type: local data, global connectivity, nothing to program', async () => {
  const { host } = await macvlan();
  assert.deepEqual(
    host.drivers.map((d) => [d.name, d.capability]),
    [['macvlan', { dataScope: 'local', connectivityScope: 'global', externalConnectivity: 'none' }]],
  );
});

test('a join creates the macvlan on the parent directly inside the sandbox, with the gateway from IPAM', async () => {
  const { host, driver, id } = await macvlan();
  driver.createNetwork(id, NETWORK, [PARENT], new MockNetworkInfo(), POOL, []);
  assert.deepEqual(host.calls('linkGet')[0]?.args, ['uplink0'], 'the parent is checked at creation');
  const iface = new MockInterfaceInfo({ address: '192.168.50.2/24' });
  driver.createEndpoint(id, NETWORK, ENDPOINT, iface, []);
  assert.equal(iface.mac, '02:42:c0:a8:32:02', 'the MAC comes from the IPv4 address, as libnetwork makes it');
  const info = new MockJoinInfo();
  driver.join(id, NETWORK, ENDPOINT, SANDBOX, info, [['com.docker.network.endpoint.ifname', 'eth0']]);
  const [add] = host.calls('linkAdd');
  assert.deepEqual(add?.ns, { tag: 'host' }, 'asked where the parent is');
  assert.deepEqual(add?.args[0], {
    name: 'eth0',
    kind: { tag: 'macvlan', val: { parent: 'uplink0', mode: 'bridge', netns: { tag: 'sandbox', val: SANDBOX } } },
    mtu: undefined,
    mac: '02:42:c0:a8:32:02',
    master: undefined,
    up: false,
  });
  assert.ok(host.links.get(`sandbox:${SANDBOX}`)?.has('eth0'), 'the link is in the sandbox');
  assert.equal(host.links.get('host')?.has('eth0'), false, 'and not in the host namespace');
  assert.deepEqual(info.names, { srcName: 'eth0', dstPrefix: 'eth' });
  assert.equal(info.gateway, '192.168.50.1');
  assert.deepEqual(driver.endpointOperInfo(id, NETWORK, ENDPOINT), [
    ['com.docker.network.endpoint.macaddress', '02:42:c0:a8:32:02'],
  ]);
});

test('each mode, the MTU and IPv6 gateways are passed on; an internal network gets no gateway', async () => {
  for (const mode of ['bridge', 'private', 'vepa', 'passthru']) {
    const { host, driver, id } = await macvlan();
    driver.createNetwork(
      id,
      NETWORK,
      [PARENT, ['macvlan_mode', mode], ['com.docker.network.driver.mtu', '1400']],
      new MockNetworkInfo(),
      POOL,
      [],
    );
    driver.createEndpoint(id, NETWORK, ENDPOINT, new MockInterfaceInfo({ address: '192.168.50.2/24' }), []);
    driver.join(id, NETWORK, ENDPOINT, SANDBOX, new MockJoinInfo(), []);
    const spec = host.calls('linkAdd')[0]?.args[0] as { name: string; mtu: number; kind: { val: { mode: string } } };
    assert.equal(spec.kind.val.mode, mode);
    assert.equal(spec.mtu, 1400);
    assert.equal(spec.name, `mv${ENDPOINT.slice(0, 13)}`, 'a temporary name when none is offered');
  }
  const v6 = await macvlan();
  v6.driver.createNetwork(
    v6.id,
    NETWORK,
    [PARENT, ['com.docker.network.enable_ipv6', 'true']],
    new MockNetworkInfo(),
    POOL,
    POOL6,
  );
  v6.driver.createEndpoint(v6.id, NETWORK, ENDPOINT, new MockInterfaceInfo({ address: '192.168.50.2/24' }), []);
  const joined = new MockJoinInfo();
  v6.driver.join(v6.id, NETWORK, ENDPOINT, SANDBOX, joined, []);
  assert.equal(joined.gatewayIpv6, 'fd50::1');
  const internal = await macvlan();
  internal.driver.createNetwork(
    internal.id,
    NETWORK,
    [PARENT, ['com.docker.network.internal', 'true']],
    new MockNetworkInfo(),
    POOL,
    [],
  );
  internal.driver.createEndpoint(internal.id, NETWORK, ENDPOINT, new MockInterfaceInfo(), []);
  const isolated = new MockJoinInfo();
  internal.driver.join(internal.id, NETWORK, ENDPOINT, SANDBOX, isolated, []);
  assert.equal(isolated.gateway, undefined);
});

test('a passthru endpoint keeps its parent MAC: none is made, one given is refused', async () => {
  const { driver, id } = await macvlan();
  driver.createNetwork(id, NETWORK, [PARENT, ['macvlan_mode', 'passthru']], new MockNetworkInfo(), POOL, []);
  const iface = new MockInterfaceInfo({ address: '192.168.50.2/24' });
  driver.createEndpoint(id, NETWORK, ENDPOINT, iface, []);
  assert.equal(iface.mac, undefined);
  assert.deepEqual(driver.endpointOperInfo(id, NETWORK, ENDPOINT), []);
  const given = new MockInterfaceInfo({ address: '192.168.50.3/24', mac: '02:00:00:00:00:01' });
  const error = errorOf(() => driver.createEndpoint(id, NETWORK, 'e2', given, [])) as Failure;
  assert.equal(error.tag, 'invalid-parameter');
  assert.match(error.val, /passthru/);
});

test('bad options are refused with typed errors, and nothing is created', async () => {
  const cases: Array<[Array<[string, string]>, string, RegExp]> = [
    [[], 'invalid-parameter', /option parent \(-o parent=IFACE\) is required/],
    [[['parent', '']], 'invalid-parameter', /parent .* is required/],
    [[['parent', 'lo']], 'invalid-parameter', /loopback/],
    [[['parent', 'missing0']], 'not-found', /parent interface missing0 does not exist/],
    [[['parent', 'eth0.10']], 'not-found', /VLAN sub-interfaces are not created/],
    [[PARENT, ['macvlan_mode', 'source']], 'invalid-parameter', /macvlan_mode=source is not one of/],
    [[PARENT, ['macvlan_flag', 'x']], 'invalid-parameter', /option macvlan_flag is not supported/],
    [[PARENT, ['ipvlan_mode', 'l2']], 'invalid-parameter', /option ipvlan_mode is not supported/],
    [[PARENT, ['com.docker.network.bridge.name', 'x']], 'invalid-parameter', /not supported/],
    [[PARENT, ['com.docker.network.driver.mtu', 'big']], 'invalid-parameter', /not an MTU/],
    [[PARENT, ['com.example.parent', 'uplink0']], 'invalid-parameter', /com\.example\.parent is not supported/],
  ];
  for (const [options, tag, message] of cases) {
    const { host, driver, id } = await macvlan();
    const error = errorOf(() => driver.createNetwork(id, NETWORK, options, new MockNetworkInfo(), POOL, [])) as Failure;
    assert.equal(error.tag, tag, JSON.stringify(options));
    assert.match(error.val, message);
    assert.equal(host.store.size, 0, 'no state kept');
    assert.equal(host.calls('linkAdd').length, 0);
  }
  const noV4 = await macvlan();
  const error = errorOf(() =>
    noV4.driver.createNetwork(noV4.id, NETWORK, [PARENT], new MockNetworkInfo(), [], POOL6),
  ) as Failure;
  assert.match(error.val, /needs an IPv4 pool/);
});

test('a parent serves one network, as in libnetwork; it is free again once that network is deleted', async () => {
  const { driver, id } = await macvlan();
  driver.createNetwork(id, NETWORK, [PARENT], new MockNetworkInfo(), POOL, []);
  const error = errorOf(() =>
    driver.createNetwork(id, 'f0f1f2f3f4f5f6', [PARENT], new MockNetworkInfo(), POOL, []),
  ) as Failure;
  assert.equal(error.tag, 'invalid-parameter');
  assert.match(error.val, /network a1b2c3d4e5f6 is already using parent interface uplink0/);
  driver.createNetwork(id, NETWORK, [PARENT], new MockNetworkInfo(), POOL, []); // a replay of the same network
  driver.deleteNetwork(id, NETWORK);
  driver.createNetwork(id, 'f0f1f2f3f4f5f6', [PARENT], new MockNetworkInfo(), POOL, []);
});

test('published ports are refused, never ignored; a failed join rolls its link back', async () => {
  const { host, driver, id } = await macvlan();
  driver.createNetwork(id, NETWORK, [PARENT], new MockNetworkInfo(), POOL, []);
  driver.createEndpoint(id, NETWORK, ENDPOINT, new MockInterfaceInfo({ address: '192.168.50.2/24' }), []);
  const portMap = JSON.stringify([{ Proto: 6, Port: 80, HostPort: 8080 }]);
  const error = errorOf(() =>
    driver.join(id, NETWORK, ENDPOINT, SANDBOX, new MockJoinInfo(), [['com.docker.network.portmap', portMap]]),
  ) as Failure;
  assert.equal(error.tag, 'invalid-parameter');
  assert.match(error.val, /ports cannot be published/);
  assert.equal(host.calls('linkAdd').length, 0);
  driver.join(id, NETWORK, ENDPOINT, SANDBOX, new MockJoinInfo(), [['com.docker.network.portmap', '[]']]);
  host.failNext('linkAdd', 'not-found', 'create macvlan eth0: ENODEV');
  const gone = errorOf(() => driver.join(id, NETWORK, 'e2', SANDBOX, new MockJoinInfo(), [])) as Failure;
  assert.equal(gone.tag, 'not-found');
  assert.match(gone.val, /parent interface uplink0 does not exist/);
});
