import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DefaultIpam } from 'wasmnet/ipam';
import { rejectsWith } from './helpers.js';

test('address spaces and capabilities', async () => {
  const ipam = new DefaultIpam();
  assert.deepEqual(await ipam.getDefaultAddressSpaces(), {
    localDefaultAddressSpace: 'LocalDefault',
    globalDefaultAddressSpace: 'GlobalDefault',
  });
  assert.deepEqual(ipam.capabilities(), { requiresMacAddress: false, requiresRequestReplay: true });
});

test('the 31 default local pools are given in order, then ErrNoMoreSubnets', async () => {
  const ipam = new DefaultIpam({ ula: false });
  const pools: string[] = [];
  for (let i = 0; i < 31; i++) pools.push((await ipam.requestPool({ addressSpace: 'LocalDefault' })).pool);
  assert.deepEqual(pools.slice(0, 8), [
    '172.17.0.0/16',
    '172.18.0.0/16',
    '172.19.0.0/16',
    '172.20.0.0/16',
    '172.21.0.0/16',
    '172.22.0.0/16',
    '172.23.0.0/16',
    '172.24.0.0/16',
  ]);
  assert.equal(pools[14], '172.31.0.0/16');
  assert.equal(pools[15], '192.168.0.0/20');
  assert.equal(pools[30], '192.168.240.0/20');
  await rejectsWith(ipam.requestPool({ addressSpace: 'LocalDefault' }), 'ErrNoMoreSubnets');
});

test('global pools are 10.0.0.0/8 as /24s; configurable lists are honoured', async () => {
  const ipam = new DefaultIpam({
    defaultAddressPools: [{ base: '10.10.0.0/16', size: 24 }],
    globalAddressPools: [{ base: '100.64.0.0/10', size: 20 }],
  });
  assert.equal((await ipam.requestPool({ addressSpace: 'GlobalDefault' })).pool, '100.64.0.0/20');
  assert.equal((await ipam.requestPool({ addressSpace: 'LocalDefault' })).pool, '10.10.0.0/24');
  assert.equal((await ipam.requestPool({ addressSpace: 'LocalDefault' })).pool, '10.10.1.0/24');
  const dflt = new DefaultIpam();
  const first = await dflt.requestPool({ addressSpace: 'GlobalDefault' });
  assert.equal(first.pool, '10.0.0.0/24');
  assert.equal(first.poolId, 'GlobalDefault/10.0.0.0/24');
});

test('a dynamic pool skips allocated pools and excluded networks', async () => {
  const ipam = new DefaultIpam();
  await ipam.requestPool({ addressSpace: 'LocalDefault', pool: '172.17.0.0/16' });
  const next = await ipam.requestPool({ addressSpace: 'LocalDefault', exclude: ['172.18.5.0/24', '172.19.0.1/32'] });
  assert.equal(next.pool, '172.20.0.0/16');
  // An allocated pool partly covering a predefined one makes it unavailable too.
  await ipam.requestPool({ addressSpace: 'LocalDefault', pool: '172.21.128.0/17' });
  assert.equal((await ipam.requestPool({ addressSpace: 'LocalDefault' })).pool, '172.18.0.0/16');
  assert.equal((await ipam.requestPool({ addressSpace: 'LocalDefault' })).pool, '172.19.0.0/16');
  assert.equal((await ipam.requestPool({ addressSpace: 'LocalDefault' })).pool, '172.22.0.0/16');
});

test('"0.0.0.0/N" asks for a predefined pool of size N', async () => {
  const ipam = new DefaultIpam();
  assert.equal((await ipam.requestPool({ addressSpace: 'LocalDefault', pool: '0.0.0.0/20' })).pool, '192.168.0.0/20');
  assert.equal((await ipam.requestPool({ addressSpace: 'LocalDefault', pool: '0.0.0.0/16' })).pool, '172.17.0.0/16');
  await rejectsWith(ipam.requestPool({ addressSpace: 'LocalDefault', pool: '0.0.0.0/24' }), 'ErrNoMoreSubnets');
});

test('a preferred pool is checked against allocated pools only, not exclude', async () => {
  const ipam = new DefaultIpam();
  const a = await ipam.requestPool({ addressSpace: 'LocalDefault', pool: '10.0.0.0/8', exclude: ['10.1.0.0/16'] });
  assert.equal(a.pool, '10.0.0.0/8');
  await rejectsWith(ipam.requestPool({ addressSpace: 'LocalDefault', pool: '10.1.0.0/16' }), 'ErrPoolOverlap');
  await rejectsWith(ipam.requestPool({ addressSpace: 'LocalDefault', pool: '8.0.0.0/6' }), 'ErrPoolOverlap');
  // The other address space is independent.
  assert.equal((await ipam.requestPool({ addressSpace: 'GlobalDefault', pool: '10.1.0.0/16' })).pool, '10.1.0.0/16');
});

test('a pool is allocated once; its sub-pools share it, and the last release frees it', async () => {
  const ipam = new DefaultIpam();
  const a = await ipam.requestPool({ addressSpace: 'LocalDefault', pool: '172.30.0.0/16', subPool: '172.30.1.0/24' });
  // As Docker answers a second network on the same subnet: "Pool overlaps with other one on this address space".
  await rejectsWith(ipam.requestPool({ addressSpace: 'LocalDefault', pool: '172.30.0.0/16' }), 'ErrPoolOverlap');
  await rejectsWith(
    ipam.requestPool({ addressSpace: 'LocalDefault', pool: '172.30.0.0/16', subPool: '172.30.1.0/24' }),
    'ErrPoolOverlap',
  );
  const b = await ipam.requestPool({ addressSpace: 'LocalDefault', pool: '172.30.0.0/16', subPool: '172.30.2.0/24' });
  assert.notEqual(a.poolId, b.poolId);
  await ipam.requestAddress(a.poolId, '172.30.1.9');
  await ipam.releasePool(a.poolId);
  await rejectsWith(ipam.requestAddress(a.poolId), 'ErrPoolNotFound');
  // b still holds the pool.
  await rejectsWith(ipam.requestPool({ addressSpace: 'LocalDefault', pool: '172.30.0.0/24' }), 'ErrPoolOverlap');
  assert.equal((await ipam.requestAddress(b.poolId, '172.30.2.9')).address, '172.30.2.9/16');
  await ipam.releasePool(b.poolId);
  await rejectsWith(ipam.releasePool(b.poolId), 'ErrPoolNotFound');
  // Freed: it can be requested again, empty, and overlapping pools are allowed again.
  const c = await ipam.requestPool({ addressSpace: 'LocalDefault', pool: '172.30.0.0/24' });
  assert.equal(await ipam.requestAddress(c.poolId, '172.30.1.9').catch(() => undefined), undefined);
  assert.equal((await ipam.requestAddress(c.poolId, '172.30.0.9')).address, '172.30.0.9/24');
});

test('bad pool requests get the right code and change nothing', async () => {
  const ipam = new DefaultIpam({ ula: false });
  await rejectsWith(ipam.requestPool({ addressSpace: 'rosso' }), 'ErrInvalidAddressSpace');
  await rejectsWith(ipam.requestPool({ addressSpace: '' }), 'ErrInvalidAddressSpace');
  for (const pool of ['172.18.0.0', '172.18.0.0/33', 'banana/16', '300.1.0.0/16', '2001:db8::/129']) {
    await rejectsWith(ipam.requestPool({ addressSpace: 'LocalDefault', pool }), 'ErrInvalidPool');
  }
  await rejectsWith(
    ipam.requestPool({ addressSpace: 'LocalDefault', pool: '172.18.0.0/16', v6: true }),
    'ErrInvalidPool',
  );
  await rejectsWith(
    ipam.requestPool({ addressSpace: 'LocalDefault', pool: '2001:db8::/64', v6: false }),
    'ErrInvalidPool',
  );
  await rejectsWith(ipam.requestPool({ addressSpace: 'LocalDefault', exclude: ['nope'] }), 'ErrInvalidPool');
  await rejectsWith(ipam.requestPool({ addressSpace: 'LocalDefault', subPool: '172.18.1.0/24' }), 'ErrInvalidSubPool');
  await rejectsWith(
    ipam.requestPool({ addressSpace: 'LocalDefault', pool: '172.18.0.0/16', subPool: '172.19.0.0/24' }),
    'ErrInvalidSubPool',
  );
  await rejectsWith(
    ipam.requestPool({ addressSpace: 'LocalDefault', pool: '172.18.0.0/16', subPool: '172.18.0.0/15' }),
    'ErrInvalidSubPool',
  );
  await rejectsWith(
    ipam.requestPool({ addressSpace: 'LocalDefault', pool: '172.18.0.0/16', subPool: '2001:db8::/64' }),
    'ErrInvalidSubPool',
  );
  await rejectsWith(
    ipam.requestPool({ addressSpace: 'LocalDefault', pool: '172.18.0.0/16', subPool: 'x' }),
    'ErrInvalidSubPool',
  );
  await rejectsWith(ipam.requestPool({ addressSpace: 'LocalDefault', v6: true }), 'ErrNoMoreSubnets');
  await rejectsWith(ipam.releasePool('nonsense'), 'ErrBadPool');
  await rejectsWith(ipam.releasePool('LocalDefault/172.18.0.0/16'), 'ErrPoolNotFound');
  await rejectsWith(ipam.requestAddress('LocalDefault/172.18.0.0/16/junk'), 'ErrBadPool');
  // Nothing was allocated by the failures: the first default pool is still free.
  assert.equal((await ipam.requestPool({ addressSpace: 'LocalDefault' })).pool, '172.17.0.0/16');
  assert.throws(() => new DefaultIpam({ defaultAddressPools: [{ base: '10.0.0.0/8', size: 4 }] }), {
    code: 'ErrInvalidPool',
  });
});

test('the dynamic search jumps past runs of taken pools and wide exclusions', async () => {
  const ipam = new DefaultIpam();
  for (let i = 0; i < 1000; i++)
    await ipam.requestPool({ addressSpace: 'GlobalDefault', pool: `10.${i >> 8}.${i & 255}.0/25` });
  assert.equal((await ipam.requestPool({ addressSpace: 'GlobalDefault' })).pool, '10.3.232.0/24');
  assert.equal(
    (
      await ipam.requestPool({
        addressSpace: 'GlobalDefault',
        exclude: ['10.3.233.0/24', '10.3.234.128/25', '10.3.236.0/22'],
      })
    ).pool,
    '10.3.235.0/24',
  );
  const local = await ipam.requestPool({ addressSpace: 'LocalDefault', exclude: ['172.16.0.0/12'] });
  assert.equal(local.pool, '192.168.0.0/20');
});
