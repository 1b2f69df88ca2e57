import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DefaultIpam } from 'wasmnet/ipam';
import { rejectsWith } from './helpers.js';

// State lives in memory; after a restart the controller replays what it stored.
test('replaying pools and addresses with preferred values rebuilds the state', async () => {
  const before = new DefaultIpam();
  const stored: { pool: string; subPool?: string; addresses: string[] }[] = [];
  const dynamic = await before.requestPool({ addressSpace: 'LocalDefault' });
  const sub = await before.requestPool({
    addressSpace: 'LocalDefault',
    pool: '172.28.0.0/16',
    subPool: '172.28.30.0/24',
  });
  stored.push({ pool: dynamic.pool, addresses: [] }, { pool: sub.pool, subPool: '172.28.30.0/24', addresses: [] });
  for (let i = 0; i < 5; i++)
    (stored[0] as { addresses: string[] }).addresses.push((await before.requestAddress(dynamic.poolId)).address);
  (stored[1] as { addresses: string[] }).addresses.push(
    (await before.requestAddress(sub.poolId, '172.28.30.77')).address,
  );

  const after = new DefaultIpam();
  assert.equal(after.capabilities().requiresRequestReplay, true);
  const ids: string[] = [];
  for (const entry of stored) {
    const { poolId } = await after.requestPool({
      addressSpace: 'LocalDefault',
      pool: entry.pool,
      subPool: entry.subPool,
    });
    ids.push(poolId);
    for (const address of entry.addresses) assert.equal((await after.requestAddress(poolId, address)).address, address);
  }
  assert.deepEqual(ids, [dynamic.poolId, sub.poolId]);
  // The rebuilt allocator continues where the old one would have.
  assert.equal(
    (await after.requestAddress(ids[0] as string)).address,
    (await before.requestAddress(dynamic.poolId)).address,
  );
  await rejectsWith(after.requestAddress(ids[1] as string, '172.28.30.77'), 'ErrIPAlreadyAllocated');
  assert.equal(
    (await after.requestPool({ addressSpace: 'LocalDefault' })).pool,
    (await before.requestPool({ addressSpace: 'LocalDefault' })).pool,
  );
});
