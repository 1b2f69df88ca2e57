// A driver written only with the SDK (sdk/fixtures/full-driver), driven through every call of
// the driver API against the mock host; and the Driver base class's not-implemented defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MockInterfaceInfo, MockJoinInfo, MockNetworkInfo, errorOf, loadDriver, type LoadedDriver } from '@wasmnet/sdk';
import { buildFixture } from './fixtures.js';

async function full(): Promise<LoadedDriver & { h: number }> {
  const loaded = await loadDriver(await buildFixture('full-driver'));
  return { ...loaded, h: loaded.handle('full') };
}

const IPV4 = [{ addressSpace: 'LocalDefault', pool: '172.18.0.0/16', gateway: '172.18.0.1/16', auxAddresses: [] }];

test('init registers both drivers with their capabilities and handles', async () => {
  const { host, driver } = await full();
  assert.deepEqual(host.drivers, [
    {
      name: 'full',
      handle: 0,
      capability: { dataScope: 'local', connectivityScope: 'global', externalConnectivity: 'always' },
    },
    {
      name: 'bare',
      handle: 1,
      capability: { dataScope: 'global', connectivityScope: 'global', externalConnectivity: 'none' },
    },
  ]);
  assert.equal(driver.type(0), 'full');
  assert.equal(driver.type(1), 'bare');
});

test('network-allocate returns options computed with the SDK helpers; network-free', async () => {
  const { driver, h } = await full();
  const options = driver.networkAllocate(
    h,
    'n1',
    [
      ['ipv6', 'FD00:0:0:0:0:0:0:1'],
      ['cidr', '10.1.2.3/24'],
      ['mac-of', '172.17.0.2'],
      ['bool', 'yes'],
      ['u32', '4294967295'],
    ],
    IPV4,
    [],
  );
  assert.deepEqual(options, [
    ['allocated', 'n1'],
    ['pools', '1/0'],
    ['ipv6', 'fd00::1'],
    ['cidr', '10.1.2.3 24'],
    ['mac', '02:42:ac:11:00:02'],
    ['bool', 'yes'],
    ['u32', '4294967295'],
  ]);
  const bad = driver.networkAllocate(
    h,
    'n2',
    [
      ['ipv6', '1::2::3'],
      ['cidr', '10.0.0.1/33'],
      ['mac-of', '300.1.1.1'],
      ['u32', 'x'],
    ],
    [],
    [],
  );
  assert.deepEqual(bad.slice(2), [
    ['ipv6', 'invalid'],
    ['cidr', 'invalid'],
    ['mac', 'invalid'],
    ['bool', 'no'],
    ['u32', '7'],
  ]);
  driver.networkFree(h, 'n1');
});

test('create-network: table registration, bridge, gateway address, sysctl, store, log', async () => {
  const { host, driver, h } = await full();
  const info = new MockNetworkInfo();
  driver.createNetwork(h, 'net1abcdef', [['mtu', '9000']], info, IPV4, []);
  assert.deepEqual(info.tables, [{ tableName: 'endpoints', objectType: 'endpoint' }]);
  const [add, addr, sysctl] = host.netlink;
  assert.deepEqual(add, {
    op: 'linkAdd',
    ns: { tag: 'host' },
    args: [{ name: 'br-net1abcd', kind: { tag: 'bridge' }, mtu: 9000, mac: undefined, master: undefined, up: true }],
  });
  assert.deepEqual(addr?.args, [{ link: 'br-net1abcd', cidr: '172.18.0.1/16', nodad: false }]);
  assert.deepEqual(sysctl?.args, ['ip-forward', undefined, '1']);
  assert.equal(new TextDecoder().decode(host.store.get('net/net1abcdef')), 'br-net1abcd');
  assert.deepEqual(host.logs, [{ level: 'info', message: 'network net1abcdef on br-net1abcd (index 100)' }]);
});

test('a host refusal comes back as the driver error', async () => {
  const { host, driver, h } = await full();
  host.failNext('linkAdd', 'forbidden', 'eth0 is not yours');
  assert.deepEqual(
    errorOf(() => driver.createNetwork(h, 'n', [], new MockNetworkInfo(), [], [])),
    { tag: 'forbidden', val: 'eth0 is not yours' },
  );
});

test('endpoints: create (MAC from IP, or address from options), oper-info, delete', async () => {
  const { driver, h } = await full();
  const assigned = new MockInterfaceInfo({ address: '172.18.0.5/16' });
  driver.createEndpoint(h, 'n', 'ep1', assigned, []);
  assert.equal(assigned.mac, '02:42:ac:12:00:05');
  const chosen = new MockInterfaceInfo();
  driver.createEndpoint(h, 'n', 'ep2', chosen, [['ip', '10.0.0.7/24']]);
  assert.equal(chosen.ipv4, '10.0.0.7/24');
  assert.equal(chosen.mac, '02:42:0a:00:00:07');
  assert.deepEqual(
    errorOf(() => driver.createEndpoint(h, 'n', 'ep3', new MockInterfaceInfo(), [])),
    { tag: 'invalid-parameter', val: 'no address' },
  );
  assert.deepEqual(driver.endpointOperInfo(h, 'n', 'ep1'), [
    ['mac', '02:42:ac:12:00:05'],
    ['endpoints', 'ep/ep1,ep/ep2'],
  ]);
  driver.deleteEndpoint(h, 'n', 'ep1');
  assert.deepEqual(
    errorOf(() => driver.endpointOperInfo(h, 'n', 'ep1')),
    { tag: 'not-found', val: 'endpoint ep1' },
  );
});

test('join and leave: plumbing in the sandbox, every join-info setter', async () => {
  const { host, driver, h } = await full();
  driver.createNetwork(h, 'net1', [], new MockNetworkInfo(), IPV4, []);
  driver.createEndpoint(h, 'net1', 'ep1abcdef', new MockInterfaceInfo({ address: '172.18.0.2/16' }), []);
  host.netlink.length = 0;
  const join = new MockJoinInfo();
  const sandbox = { tag: 'sandbox', val: '/run/netns/c1' };
  driver.join(h, 'net1', 'ep1abcdef', '/run/netns/c1', join, [
    ['gateway', '172.18.0.1'],
    ['gateway6', 'fd00::1'],
    ['no-gateway-service', 'true'],
  ]);
  assert.deepEqual(join.names, { srcName: 'tmpep1abcd', dstPrefix: 'eth' });
  assert.equal(join.gateway, '172.18.0.1');
  assert.equal(join.gatewayIpv6, 'fd00::1');
  assert.equal(join.gatewayServiceDisabled, true);
  assert.deepEqual(join.staticRoutes, [
    { destination: '10.99.0.0/16', routeType: 'next-hop', nextHop: '10.0.0.254' },
    { destination: '10.98.0.0/16', routeType: 'connected', nextHop: undefined },
  ]);
  assert.equal(new TextDecoder().decode(join.tableEntries[0]?.value), 'ep1abcdef@/run/netns/c1');
  assert.deepEqual(
    host.netlink.map((c) => c.op),
    ['linkAdd', 'linkSet', 'neighAdd', 'fdbAdd', 'routeAdd'],
  );
  const [veth, set, , , route] = host.netlink;
  assert.deepEqual(veth?.args, [
    {
      name: 'vethep1abcd',
      kind: { tag: 'veth', val: { name: 'tmpep1abcd', netns: sandbox, mac: '02:42:ac:12:00:02' } },
      mtu: undefined,
      mac: undefined,
      master: 'br-net1',
      up: true,
    },
  ]);
  assert.deepEqual(set, {
    op: 'linkSet',
    ns: sandbox,
    args: ['tmpep1abcd', { up: true, master: { tag: 'unset' }, mtu: undefined, mac: undefined, name: undefined }],
  });
  assert.deepEqual(route?.args, [
    { destination: undefined, gateway: '10.0.0.1', link: 'tmpep1abcd', scope: 'universe' },
  ]);
  host.netlink.length = 0;
  driver.leave(h, 'net1', 'ep1abcdef');
  assert.deepEqual(
    host.netlink.map((c) => c.op),
    ['fdbDel', 'neighDel', 'routeDel', 'addrDel', 'linkDel'],
  );
  assert.equal(host.links.get('host')?.has('vethep1abcd'), false);
});

test('external connectivity: link-get, addr-list, link-list', async () => {
  const { host, driver, h } = await full();
  driver.createNetwork(h, 'net1', [], new MockNetworkInfo(), IPV4, []);
  driver.programExternalConnectivity(h, 'net1', 'ep1', []);
  assert.equal(new TextDecoder().decode(host.store.get('ext/ep1')), 'bridge 100 172.18.0.1/16');
  driver.revokeExternalConnectivity(h, 'net1', 'ep1');
  assert.equal(host.store.has('ext/ep1'), false);
  driver.deleteNetwork(h, 'net1');
  assert.deepEqual(
    errorOf(() => driver.revokeExternalConnectivity(h, 'net1', 'ep1')),
    { tag: 'internal', val: 'no links' },
  );
});

test('event-notify and decode-table-entry carry bytes both ways', async () => {
  const { host, driver, h } = await full();
  const value = new TextEncoder().encode('peer 10.0.0.2');
  driver.eventNotify(h, 'update', 'net1', 'endpoints', 'ep9', value);
  assert.deepEqual(host.store.get('event/endpoints/ep9'), value);
  assert.deepEqual(host.logs.at(-1), { level: 'info', message: 'event 1 on net1' });
  assert.deepEqual(driver.decodeTableEntry(h, 'endpoints', 'ep9', value), {
    name: 'ep9',
    fields: [
      ['table', 'endpoints'],
      ['value', 'peer 10.0.0.2'],
    ],
  });
});

test('discover-new and discover-delete: every discovery case', async () => {
  const { host, driver, h } = await full();
  const text = (key: string) => new TextDecoder().decode(host.store.get(key));
  driver.discoverNew(h, { tag: 'node', val: { address: '10.0.0.1', bindAddress: '0.0.0.0', self: true } });
  driver.discoverNew(h, {
    tag: 'datastore-config',
    val: [
      ['a', 'b'],
      ['c', 'd'],
    ],
  });
  driver.discoverNew(h, {
    tag: 'encryption-keys-config',
    val: [{ subsystem: 's', algorithm: -3, key: new Uint8Array(4), lamportTime: 2n ** 64n - 1n }],
  });
  driver.discoverNew(h, {
    tag: 'encryption-keys-update',
    val: {
      key: undefined,
      primary: { subsystem: 'ipsec', algorithm: 1, key: new Uint8Array(0), lamportTime: 1n },
      prune: undefined,
    },
  });
  assert.deepEqual(
    [text('node'), text('datastore'), text('keys'), text('primary')],
    ['10.0.0.1', '2', '18446744073709551615 -3', 'ipsec'],
  );
  driver.discoverDelete(h, { tag: 'node', val: { address: '10.0.0.1', bindAddress: '', self: false } });
  assert.equal(host.store.has('node'), false);
  assert.deepEqual(
    errorOf(() => driver.discoverDelete(h, { tag: 'datastore-config', val: [] })),
    { tag: 'invalid-parameter', val: 'only nodes' },
  );
});

test('the Driver base class answers not-implemented to every call; unknown handles are not-found', async () => {
  const { driver, handle } = await full();
  const bare = handle('bare');
  const calls: [string, () => unknown][] = [
    ['network-allocate', () => driver.networkAllocate(bare, 'n', [], [], [])],
    ['network-free', () => driver.networkFree(bare, 'n')],
    ['create-network', () => driver.createNetwork(bare, 'n', [], new MockNetworkInfo(), [], [])],
    ['delete-network', () => driver.deleteNetwork(bare, 'n')],
    ['create-endpoint', () => driver.createEndpoint(bare, 'n', 'e', new MockInterfaceInfo(), [])],
    ['delete-endpoint', () => driver.deleteEndpoint(bare, 'n', 'e')],
    ['endpoint-oper-info', () => driver.endpointOperInfo(bare, 'n', 'e')],
    ['join', () => driver.join(bare, 'n', 'e', 'k', new MockJoinInfo(), [])],
    ['leave', () => driver.leave(bare, 'n', 'e')],
    ['program-external-connectivity', () => driver.programExternalConnectivity(bare, 'n', 'e', [])],
    ['revoke-external-connectivity', () => driver.revokeExternalConnectivity(bare, 'n', 'e')],
    ['discover-new', () => driver.discoverNew(bare, { tag: 'datastore-config', val: [] })],
    ['discover-delete', () => driver.discoverDelete(bare, { tag: 'datastore-config', val: [] })],
  ];
  for (const [name, call] of calls) assert.deepEqual(errorOf(call), { tag: 'not-implemented', val: name });
  driver.eventNotify(bare, 'create', 'n', 't', 'k', new Uint8Array(0));
  assert.deepEqual(driver.decodeTableEntry(bare, 't', 'k', new Uint8Array(0)), { name: 'k', fields: [] });
  assert.deepEqual(
    errorOf(() => driver.leave(9, 'n', 'e')),
    { tag: 'not-found', val: 'no driver with handle 9' },
  );
  assert.equal(driver.type(9), '');
});
