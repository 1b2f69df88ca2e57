// The built-in overlay driver (guest-drivers/overlay), driven through the driver API against the
// SDK's mock host: the VNI it allocates, the bridge and VXLAN it asks for, the peer rows it
// writes and programs, what it refuses. overlay-hosts.test.ts and test/cluster/overlay-daemons.test.ts
// run it on the kernel.
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
const VXLANID = 'com.docker.network.driver.overlay.vxlanid_list';
const POOL = [{ addressSpace: 'GlobalDefault', pool: '10.70.0.0/24', gateway: '10.70.0.1/24', auxAddresses: [] }];
const encode = (text: string): Uint8Array => new TextEncoder().encode(text);
const node = (address: string, self: boolean) => ({
  tag: 'node' as const,
  val: { address, bindAddress: address, self },
});

async function overlay(): Promise<LoadedDriver & { id: number }> {
  const loaded = await loadDriver(join(BUILT_GUEST_DRIVERS, 'overlay.wasm'), new MockHost());
  return { ...loaded, id: loaded.handle('overlay') };
}

/** A driver on node 192.0.2.1 with network NETWORK created (VNI 5000) and one endpoint joined. */
async function joined(): Promise<LoadedDriver & { id: number; join: MockJoinInfo }> {
  const loaded = await overlay();
  const { driver, id } = loaded;
  driver.discoverNew(id, node('192.0.2.1', true));
  driver.createNetwork(id, NETWORK, [[VXLANID, '5000']], new MockNetworkInfo(), POOL, []);
  driver.createEndpoint(id, NETWORK, ENDPOINT, new MockInterfaceInfo({ address: '10.70.0.2/24' }), []);
  const join = new MockJoinInfo();
  driver.join(id, NETWORK, ENDPOINT, '/run/netns/c1', join, [['com.docker.network.endpoint.ifname', 'eth0']]);
  return { ...loaded, join };
}

/** Sends an overlay_peer_table event of NETWORK to the loaded driver. */
const notifier =
  ({ driver, id }: LoadedDriver & { id: number }) =>
  (event: 'create' | 'update' | 'delete', key: string, row: string): void =>
    driver.eventNotify(id, event, NETWORK, 'overlay_peer_table', key, encode(row));

const entries = (table: Map<string, Map<string, Set<string>>>, link: string): string[] => [
  ...(table.get('host')?.get(link) ?? []),
];

test('registers the overlay network type with global scope', async () => {
  const { host, driver, id } = await overlay();
  assert.deepEqual(
    host.drivers.map((d) => [d.name, d.capability]),
    [['overlay', { dataScope: 'global', connectivityScope: 'global', externalConnectivity: 'none' }]],
  );
  assert.equal(driver.type(id), 'overlay');
});

test('network-allocate picks a VNI from the network id, never one it handed out, and frees it', async () => {
  const { host, driver, id } = await overlay();
  const [[key, first]] = driver.networkAllocate(id, NETWORK, [], POOL, []) as [[string, string]];
  assert.equal(key, VXLANID);
  assert.ok(Number(first) >= 4096 && Number(first) < 2 ** 24, `VNI ${first} in libnetwork's range`);
  assert.deepEqual(
    driver.networkAllocate(id, NETWORK, [], POOL, []),
    [[VXLANID, first]],
    'the same network, the same VNI',
  );

  // Another node's driver, from the same id, picks the same: the VNI is derived, not random.
  const other = await overlay();
  assert.deepEqual(other.driver.networkAllocate(other.id, NETWORK, [], POOL, []), [[VXLANID, first]]);

  // A VNI named by the creator is taken as it is, and refused when this node handed it out.
  assert.deepEqual(driver.networkAllocate(id, 'f'.repeat(20), [[VXLANID, '7000']], POOL, []), [[VXLANID, '7000']]);
  assert.deepEqual(
    errorOf(() => driver.networkAllocate(id, 'e'.repeat(20), [[VXLANID, first]], POOL, [])),
    {
      tag: 'invalid-parameter',
      val: `overlay driver: VNI ${first} is taken by network ${NETWORK}`,
    },
  );
  for (const bad of ['0', '16777216', '12a', '']) {
    assert.equal(
      (errorOf(() => driver.networkAllocate(id, 'd'.repeat(20), [[VXLANID, bad]], POOL, [])) as { tag: string }).tag,
      'invalid-parameter',
      `VNI ${JSON.stringify(bad)}`,
    );
  }
  driver.networkFree(id, NETWORK);
  driver.networkFree(id, 'f'.repeat(20));
  assert.deepEqual([...host.store.keys()], [], 'freeing leaves nothing in the store');
  assert.deepEqual(driver.networkAllocate(id, 'e'.repeat(20), [[VXLANID, first]], POOL, []), [[VXLANID, first]]);
});

test('create-network needs this node to be discovered, and the VNI of network-allocate', async () => {
  const { host, driver, id } = await overlay();
  assert.equal(
    (
      errorOf(() => driver.createNetwork(id, NETWORK, [[VXLANID, '5000']], new MockNetworkInfo(), POOL, [])) as {
        tag: string;
      }
    ).tag,
    'no-service',
  );
  driver.discoverNew(id, node('192.0.2.9', false));
  assert.equal(
    (
      errorOf(() => driver.createNetwork(id, NETWORK, [[VXLANID, '5000']], new MockNetworkInfo(), POOL, [])) as {
        tag: string;
      }
    ).tag,
    'no-service',
    'another node is not this one',
  );
  assert.deepEqual(
    errorOf(() => driver.discoverNew(id, node('fd00::1', true))),
    {
      tag: 'invalid-parameter',
      val: 'overlay driver: advertise address fd00::1 is not an IPv4 address',
    },
  );
  driver.discoverNew(id, node('192.0.2.1', true));
  assert.equal(
    (errorOf(() => driver.createNetwork(id, NETWORK, [], new MockNetworkInfo(), POOL, [])) as { tag: string }).tag,
    'invalid-parameter',
  );
  assert.deepEqual(host.netlink, [], 'nothing plumbed by a refused call');
});

test('create-network: a bridge and a VXLAN enslaved to it (no learning, ARP proxy), MTU less 50; table registered', async () => {
  const { host, driver, id } = await overlay();
  driver.discoverNew(id, node('192.0.2.1', true));
  const info = new MockNetworkInfo();
  driver.createNetwork(
    id,
    NETWORK,
    [
      [VXLANID, '5000'],
      ['com.docker.network.driver.mtu', '9000'],
    ],
    info,
    POOL,
    [],
  );
  assert.deepEqual(info.tables, [{ tableName: 'overlay_peer_table', objectType: 'endpoint' }]);
  assert.deepEqual(
    host.calls('linkAdd').map((call) => [call.ns, call.args[0]]),
    [
      [
        { tag: 'host' },
        { name: 'ov-a1b2c3d4e5f6', kind: { tag: 'bridge' }, mtu: 8950, mac: undefined, master: undefined, up: true },
      ],
      [
        { tag: 'host' },
        {
          name: 'vx-a1b2c3d4e5f6',
          kind: {
            tag: 'vxlan',
            val: { vni: 5000, local: '192.0.2.1', port: 4789, underlay: undefined, learning: false, proxy: true },
          },
          mtu: 8950,
          mac: undefined,
          master: 'ov-a1b2c3d4e5f6',
          up: true,
        },
      ],
    ],
  );
});

test('create-network refuses a VNI another network of this node uses, until that one is deleted', async () => {
  const { driver, id } = await overlay();
  driver.discoverNew(id, node('192.0.2.1', true));
  driver.createNetwork(id, NETWORK, [[VXLANID, '5000']], new MockNetworkInfo(), POOL, []);
  const other = 'f'.repeat(20);
  assert.deepEqual(
    errorOf(() => driver.createNetwork(id, other, [[VXLANID, '5000']], new MockNetworkInfo(), POOL, [])),
    {
      tag: 'invalid-parameter',
      val: `overlay driver: VNI 5000 is already used by network ${NETWORK} on this node`,
    },
  );
  driver.deleteNetwork(id, NETWORK);
  driver.createNetwork(id, other, [[VXLANID, '5000']], new MockNetworkInfo(), POOL, []);
});

test('create-network refuses options it does not implement, and rolls back when the VXLAN cannot be made', async () => {
  const { host, driver, id } = await overlay();
  driver.discoverNew(id, node('192.0.2.1', true));
  for (const option of [
    ['com.docker.network.driver.overlay.encrypted', ''],
    ['com.docker.network.driver.mtu', '100'],
    ['com.docker.network.driver.mtu', 'big'],
    ['parent', 'a/b'],
  ]) {
    const error = errorOf(() =>
      driver.createNetwork(
        id,
        NETWORK,
        [[VXLANID, '5000'], option as [string, string]],
        new MockNetworkInfo(),
        POOL,
        [],
      ),
    ) as { tag: string; val: string };
    assert.equal(error.tag, 'invalid-parameter', option.join('='));
  }
  host.failNext('linkAdd', 'forbidden', 'not yours');
  // The first linkAdd (the bridge) fails: nothing made.
  errorOf(() => driver.createNetwork(id, NETWORK, [[VXLANID, '5000']], new MockNetworkInfo(), POOL, []));
  assert.deepEqual([...(host.links.get('host') ?? new Map()).keys()], []);
  // The VXLAN fails (its name is taken by the mock's fake kernel): the bridge goes again.
  const netlink = host.imports()['wasmnet:driver/netlink'] as { linkAdd(ns: unknown, spec: unknown): number };
  netlink.linkAdd({ tag: 'host' }, { name: 'vx-a1b2c3d4e5f6', kind: { tag: 'bridge' }, up: false });
  assert.deepEqual(
    (
      errorOf(() => driver.createNetwork(id, NETWORK, [[VXLANID, '5000']], new MockNetworkInfo(), POOL, [])) as {
        tag: string;
      }
    ).tag,
    'forbidden',
  );
  assert.deepEqual([...(host.links.get('host') ?? new Map()).keys()], ['vx-a1b2c3d4e5f6']);
  assert.equal([...host.store.keys()].filter((key) => key.startsWith('net/')).length, 0);
});

test('join: a veth into the sandbox on the bridge, and the endpoint row (address, MAC, VTEP)', async () => {
  const { host, join } = await joined();
  const veth = host.calls('linkAdd')[2];
  assert.deepEqual(veth?.args[0], {
    name: 'vethe1e2e3e4e50',
    kind: {
      tag: 'veth',
      val: { name: 'eth0', netns: { tag: 'sandbox', val: '/run/netns/c1' }, mac: '02:42:0a:46:00:02' },
    },
    mtu: 1450,
    mac: undefined,
    master: 'ov-a1b2c3d4e5f6',
    up: true,
  });
  assert.deepEqual(join.names, { srcName: 'eth0', dstPrefix: 'eth' });
  assert.equal(join.gateway, undefined, 'no gateway: the overlay has no way out');
  assert.deepEqual(
    join.tableEntries.map((e) => [e.tableName, e.key, new TextDecoder().decode(e.value)]),
    [['overlay_peer_table', ENDPOINT, '10.70.0.2/24 02:42:0a:46:00:02 192.0.2.1']],
  );
});

test('event-notify programs a peer as a permanent neighbour and FDB entry; update replaces, delete removes', async () => {
  const loaded = await joined();
  const { host, driver, id } = loaded;
  const notify = notifier(loaded);
  const vx = 'vx-a1b2c3d4e5f6';
  notify('create', 'p1', '10.70.0.3/24 02:42:0a:46:00:03 192.0.2.2');
  notify('create', 'p2', '10.70.0.4/24 02:42:0a:46:00:04 192.0.2.3');
  assert.deepEqual(entries(host.neighbours, vx), ['10.70.0.3 02:42:0a:46:00:03', '10.70.0.4 02:42:0a:46:00:04']);
  assert.deepEqual(entries(host.fdb, vx), ['02:42:0a:46:00:03 192.0.2.2', '02:42:0a:46:00:04 192.0.2.3']);

  notify('update', 'p1', '10.70.0.5/24 02:42:0a:46:00:05 192.0.2.2');
  assert.deepEqual(entries(host.neighbours, vx), ['10.70.0.4 02:42:0a:46:00:04', '10.70.0.5 02:42:0a:46:00:05']);
  notify('delete', 'p2', '10.70.0.4/24 02:42:0a:46:00:04 192.0.2.3');
  assert.deepEqual(entries(host.neighbours, vx), ['10.70.0.5 02:42:0a:46:00:05']);
  assert.deepEqual(entries(host.fdb, vx), ['02:42:0a:46:00:05 192.0.2.2']);

  // Other tables, unknown networks and a repeated delete change nothing.
  host.netlink.length = 0;
  driver.eventNotify(id, 'create', NETWORK, 'other_table', 'p3', encode('10.70.0.6/24 02:42:0a:46:00:06 192.0.2.2'));
  driver.eventNotify(
    id,
    'create',
    'f'.repeat(20),
    'overlay_peer_table',
    'p3',
    encode('10.70.0.6/24 02:42:0a:46:00:06 192.0.2.2'),
  );
  notify('delete', 'p2', '');
  assert.deepEqual(host.netlink, []);
  assert.deepEqual(
    driver.decodeTableEntry(id, 'overlay_peer_table', 'p1', encode('10.70.0.5/24 02:42:0a:46:00:05 192.0.2.2')),
    {
      name: 'p1',
      fields: [
        ['address', '10.70.0.5/24'],
        ['mac', '02:42:0a:46:00:05'],
        ['vtep', '192.0.2.2'],
      ],
    },
  );
});

test('event-notify ignores malformed rows (with a warning) and rows naming this node', async () => {
  const loaded = await joined();
  const { host } = loaded;
  const notify = notifier(loaded);
  host.netlink.length = 0;
  for (const row of [
    'garbage',
    '10.70.0.3/24 02:42:0a:46:00:03',
    '10.70.0.3 02:42:0a:46:00:03 192.0.2.2',
    'fd00::3/64 02:42:0a:46:00:03 192.0.2.2',
    '10.70.0.3/24 ff:ff:ff:ff:ff:ff 192.0.2.2',
    '10.70.0.3/24 03:42:0a:46:00:03 192.0.2.2',
    '10.70.0.3/24 02:42:0A:46:00:03 192.0.2.2',
    '10.70.0.3/24 02:42:0a:46:00:03 192.0.2.256',
    '10.70.0.3/24 02:42:0a:46:00:03 192.0.2.2 extra',
    `10.70.0.3/24 02:42:0a:46:00:03 ${'1'.repeat(200)}`,
  ]) {
    notify('create', 'bad', row);
  }
  notify('create', 'own', '10.70.0.9/24 02:42:0a:46:00:09 192.0.2.1');
  assert.deepEqual(host.netlink, []);
  assert.equal(host.logs.filter((l) => l.level === 'warn' && l.message.includes('malformed')).length, 10);
});

test('discover-delete of a node removes its peers on every network; delete-network removes the links', async () => {
  const loaded = await joined();
  const { host, driver, id } = loaded;
  const notify = notifier(loaded);
  const vx = 'vx-a1b2c3d4e5f6';
  notify('create', 'p1', '10.70.0.3/24 02:42:0a:46:00:03 192.0.2.2');
  notify('create', 'p2', '10.70.0.4/24 02:42:0a:46:00:04 192.0.2.3');
  driver.discoverDelete(id, node('192.0.2.2', false));
  assert.deepEqual(entries(host.neighbours, vx), ['10.70.0.4 02:42:0a:46:00:04']);
  assert.deepEqual(entries(host.fdb, vx), ['02:42:0a:46:00:04 192.0.2.3']);
  // The row's own delete, coming later, finds nothing left to remove.
  host.netlink.length = 0;
  notify('delete', 'p1', '');
  assert.deepEqual(host.netlink, []);

  driver.leave(id, NETWORK, ENDPOINT);
  driver.deleteEndpoint(id, NETWORK, ENDPOINT);
  driver.deleteNetwork(id, NETWORK);
  assert.deepEqual(
    host.calls('linkDel').map((call) => call.args[0]),
    ['vx-a1b2c3d4e5f6', 'ov-a1b2c3d4e5f6'],
  );
  assert.deepEqual([...host.store.keys()], ['self/vtep'], 'only what the node knows of itself stays');
  assert.equal((errorOf(() => driver.deleteNetwork(id, NETWORK)) as { tag: string }).tag, 'not-found');
});

test('an endpoint needs an IPv4 address; a MAC the caller gave is kept', async () => {
  const { driver, id } = await joined();
  assert.deepEqual(
    errorOf(() => driver.createEndpoint(id, NETWORK, 'e2'.repeat(10), new MockInterfaceInfo(), [])),
    {
      tag: 'invalid-parameter',
      val: 'overlay driver: an endpoint needs an IPv4 address',
    },
  );
  const iface = new MockInterfaceInfo({ address: '10.70.0.7/24', mac: '02:00:00:00:00:07' });
  driver.createEndpoint(id, NETWORK, 'e3'.repeat(10), iface, []);
  assert.deepEqual(driver.endpointOperInfo(id, NETWORK, 'e3'.repeat(10)), [
    ['com.docker.network.endpoint.macaddress', '02:00:00:00:00:07'],
  ]);
});
