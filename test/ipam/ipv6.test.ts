import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DefaultIpam } from 'wasmnet/ipam';
import { rejectsWith } from './helpers.js';

test('IPv6 pools of any size (a /64, a /48, a /8) give, refuse and free addresses', async () => {
  const ipam = new DefaultIpam();
  for (const [pool, first, high] of [
    ['2001:db8:1::/64', '2001:db8:1::1/64', '2001:db8:1:0:ffff:ffff:ffff:ffff'],
    ['2001:db9::/48', '2001:db9::1/48', '2001:db9:0:ffff:ffff:ffff:ffff:ffff'],
    ['3000::/8', '3000::1/8', '30ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ] as const) {
    const { poolId } = await ipam.requestPool({ addressSpace: 'LocalDefault', pool, v6: true });
    assert.equal((await ipam.requestAddress(poolId)).address, first);
    assert.equal((await ipam.requestAddress(poolId, high)).address, `${high}/${pool.split('/')[1]}`);
    await rejectsWith(ipam.requestAddress(poolId, high), 'ErrIPAlreadyAllocated');
    await ipam.releaseAddress(poolId, high);
    assert.equal((await ipam.requestAddress(poolId, high)).address.startsWith(high), true);
  }
});

test('IPv6: network address reserved, no broadcast; sequential and released addresses', async () => {
  const ipam = new DefaultIpam();
  const { poolId } = await ipam.requestPool({ addressSpace: 'LocalDefault', pool: '2001:db8::/126' });
  assert.deepEqual(await Promise.all([1, 2, 3].map(() => ipam.requestAddress(poolId).then((r) => r.address))), [
    '2001:db8::1/126',
    '2001:db8::2/126',
    '2001:db8::3/126',
  ]);
  await rejectsWith(ipam.requestAddress(poolId), 'ErrNoAvailableIPs');
  await ipam.releaseAddress(poolId, '2001:db8::2');
  assert.equal((await ipam.requestAddress(poolId)).address, '2001:db8::2/126');
  await rejectsWith(ipam.requestAddress(poolId, '2001:db8::'), 'ErrIPAlreadyAllocated');
  await rejectsWith(ipam.requestAddress(poolId, '10.0.0.1'), 'ErrIPOutOfRange');
  await rejectsWith(ipam.requestAddress(poolId, '2001:db8::4'), 'ErrIPOutOfRange');
});

test('IPv6 serial mode round-robins too', async () => {
  const ipam = new DefaultIpam();
  const { poolId } = await ipam.requestPool({
    addressSpace: 'LocalDefault',
    pool: 'fd00:1::/64',
    options: { 'com.docker.network.ipam.serial': 'true' },
  });
  assert.equal((await ipam.requestAddress(poolId)).address, 'fd00:1::1/64');
  await ipam.releaseAddress(poolId, 'fd00:1::1');
  assert.equal((await ipam.requestAddress(poolId)).address, 'fd00:1::2/64');
});

test('the optional ULA /48 local default is split into /64s', async () => {
  const random = new DefaultIpam();
  const a = await random.requestPool({ addressSpace: 'LocalDefault', v6: true });
  assert.match(a.pool, /^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::\/64$/);
  const fixed = new DefaultIpam({ ula: 'fd12:3456:789a::/48' });
  assert.equal((await fixed.requestPool({ addressSpace: 'LocalDefault', v6: true })).pool, 'fd12:3456:789a::/64');
  assert.equal((await fixed.requestPool({ addressSpace: 'LocalDefault', v6: true })).pool, 'fd12:3456:789a:1::/64');
  assert.equal(
    (await fixed.requestPool({ addressSpace: 'LocalDefault', pool: '::/64' })).pool,
    'fd12:3456:789a:2::/64',
  );
  const none = new DefaultIpam({ ula: false });
  await rejectsWith(none.requestPool({ addressSpace: 'LocalDefault', v6: true }), 'ErrNoMoreSubnets');
  // IPv4 and IPv6 pools of one space never conflict.
  assert.equal((await fixed.requestPool({ addressSpace: 'LocalDefault' })).pool, '172.17.0.0/16');
});
