// An IPAM driver written with the SDK's IpamDriver base class (sdk/fixtures/ipam-driver),
// driven through every call of the ipam interface against the mock host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorOf, loadIpamDriver } from '@wasmnet/sdk';
import { buildFixture } from './fixtures.js';

const load = async () => loadIpamDriver(await buildFixture('ipam-driver', 'ipam-driver'));

const request = (pool?: string, v6 = false) => ({
  addressSpace: 'seq-local',
  pool,
  subPool: undefined,
  options: [],
  exclude: [],
  v6,
});

test('init registers the IPAM drivers with their capabilities', async () => {
  const { host } = await load();
  assert.deepEqual(host.ipamDrivers, [
    { name: 'seq', handle: 0, capability: { requiresMacAddress: false, requiresRequestReplay: true } },
    { name: 'bare-ipam', handle: 1, capability: { requiresMacAddress: true, requiresRequestReplay: false } },
  ]);
  assert.deepEqual(host.drivers, []);
});

test('address spaces, pools and addresses', async () => {
  const { ipam, handle } = await load();
  const h = handle('seq');
  assert.deepEqual(ipam.getDefaultAddressSpaces(h), { localDefault: 'seq-local', globalDefault: 'seq-global' });
  const pool = ipam.requestPool(h, request());
  assert.deepEqual(pool, { poolId: '10.200.0.0/24', pool: '10.200.0.0/24', data: [['space', 'seq-local']] });
  assert.equal(ipam.requestPool(h, request()).pool, '10.200.1.0/24');
  assert.deepEqual(ipam.requestAddress(h, pool.poolId, undefined, [['k', 'v']]), {
    address: '10.200.0.1/24',
    data: [['k', 'v']],
  });
  assert.equal(ipam.requestAddress(h, pool.poolId, '10.200.0.77', []).address, '10.200.0.77/24');
  ipam.releaseAddress(h, pool.poolId, '10.200.0.1');
  ipam.releasePool(h, pool.poolId);
  assert.deepEqual(
    errorOf(() => ipam.releasePool(h, pool.poolId)),
    { code: 'pool-not-found', message: '10.200.0.0/24' },
  );
});

test('typed IPAM errors', async () => {
  const { ipam, handle } = await load();
  const h = handle('seq');
  assert.deepEqual(
    errorOf(() => ipam.requestPool(h, request(undefined, true))),
    { code: 'invalid-pool', message: 'IPv6 is not supported' },
  );
  assert.deepEqual(
    errorOf(() => ipam.requestPool(h, request('nonsense'))),
    { code: 'bad-pool', message: 'nonsense' },
  );
  ipam.requestPool(h, request('192.168.5.0/24'));
  assert.deepEqual(
    errorOf(() => ipam.requestPool(h, request('192.168.5.0/24'))),
    { code: 'pool-overlap', message: '192.168.5.0/24' },
  );
  assert.deepEqual(
    errorOf(() => ipam.requestAddress(h, '10.9.9.0/24', undefined, [])),
    { code: 'pool-not-found', message: '10.9.9.0/24' },
  );
});

test('the IpamDriver base class answers every call with an error; unknown handles too', async () => {
  const { ipam, handle } = await load();
  const bare = handle('bare-ipam');
  const calls: [string, () => unknown][] = [
    ['get-default-address-spaces', () => ipam.getDefaultAddressSpaces(bare)],
    ['request-pool', () => ipam.requestPool(bare, request())],
    ['release-pool', () => ipam.releasePool(bare, 'p')],
    ['request-address', () => ipam.requestAddress(bare, 'p', undefined, [])],
    ['release-address', () => ipam.releaseAddress(bare, 'p', 'a')],
  ];
  for (const [name, call] of calls)
    assert.deepEqual(errorOf(call), { code: 'internal', message: `${name}: not implemented` });
  assert.deepEqual(
    errorOf(() => ipam.releasePool(5, 'p')),
    { code: 'internal', message: 'no IPAM driver with handle 5' },
  );
});
