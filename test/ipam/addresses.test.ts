import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DefaultIpam } from 'wasmnet/ipam';
import { rejectsWith } from './helpers.js';

const GATEWAY = { RequestAddressType: 'com.docker.network.gateway' };
const SERIAL = { 'com.docker.network.ipam.serial': 'true' };

async function pool(
  ipam: DefaultIpam,
  pool: string,
  subPool?: string,
  options?: Record<string, string>,
): Promise<string> {
  return (await ipam.requestPool({ addressSpace: 'LocalDefault', pool, subPool, options })).poolId;
}

test('lowest free first; network and broadcast reserved; ErrNoAvailableIPs when full', async () => {
  const ipam = new DefaultIpam();
  const id = await pool(ipam, '192.168.100.0/30');
  assert.equal((await ipam.requestAddress(id)).address, '192.168.100.1/30');
  assert.equal((await ipam.requestAddress(id)).address, '192.168.100.2/30');
  await rejectsWith(ipam.requestAddress(id), 'ErrNoAvailableIPs');
  await ipam.releaseAddress(id, '192.168.100.1');
  assert.equal((await ipam.requestAddress(id)).address, '192.168.100.1/30');
  await rejectsWith(ipam.requestAddress(id, '192.168.100.0'), 'ErrIPAlreadyAllocated');
  await rejectsWith(ipam.requestAddress(id, '192.168.100.3'), 'ErrIPAlreadyAllocated');
  // Releasing a reserved address does not free it.
  await ipam.releaseAddress(id, '192.168.100.3');
  await ipam.releaseAddress(id, '192.168.100.2/30');
  assert.equal((await ipam.requestAddress(id)).address, '192.168.100.2/30');
  await rejectsWith(ipam.requestAddress(id), 'ErrNoAvailableIPs');
});

test('/31 and /32 pools reserve nothing (libnetwork TestRequestAddress /31, /32)', async () => {
  const ipam = new DefaultIpam();
  const p31 = await pool(ipam, '10.0.0.0/31');
  assert.equal((await ipam.requestAddress(p31)).address, '10.0.0.0/31');
  assert.equal((await ipam.requestAddress(p31)).address, '10.0.0.1/31');
  await rejectsWith(ipam.requestAddress(p31), 'ErrNoAvailableIPs');
  const p32 = await pool(ipam, '10.0.1.7/32');
  assert.equal((await ipam.requestAddress(p32)).address, '10.0.1.7/32');
  await rejectsWith(ipam.requestAddress(p32), 'ErrNoAvailableIPs');
  const v6 = await pool(ipam, '2001:db8::/127');
  assert.equal((await ipam.requestAddress(v6)).address, '2001:db8::/127');
});

test('preferred address: given exactly, or ErrIPAlreadyAllocated / ErrIPOutOfRange', async () => {
  const ipam = new DefaultIpam();
  const id = await pool(ipam, '172.18.0.0/16');
  assert.equal((await ipam.requestAddress(id, '172.18.5.5')).address, '172.18.5.5/16');
  await rejectsWith(ipam.requestAddress(id, '172.18.5.5'), 'ErrIPAlreadyAllocated');
  for (const bad of ['172.19.0.1', '10.0.0.1', '2001:db8::1', 'not-an-ip', '172.18.0.256']) {
    await rejectsWith(ipam.requestAddress(id, bad), 'ErrIPOutOfRange');
    await rejectsWith(ipam.releaseAddress(id, bad), 'ErrIPOutOfRange');
  }
  // Failures changed nothing: the lowest free is still .0.1.
  assert.equal((await ipam.requestAddress(id)).address, '172.18.0.1/16');
  await rejectsWith(ipam.requestAddress('LocalDefault/172.99.0.0/16'), 'ErrPoolNotFound');
  await rejectsWith(ipam.releaseAddress('garbage', '172.18.0.1'), 'ErrBadPool');
});

test('sub-pool: addresses come from it with the pool mask (libnetwork TestRequestReleaseAddressFromSubPool)', async () => {
  const ipam = new DefaultIpam();
  const id = await pool(ipam, '172.28.0.0/16', '172.28.30.0/24');
  assert.equal(id, 'LocalDefault/172.28.0.0/16/172.28.30.0/24');
  const given: string[] = [];
  for (;;) {
    try {
      given.push((await ipam.requestAddress(id)).address);
    } catch (error) {
      assert.equal((error as { code: string }).code, 'ErrNoAvailableIPs');
      break;
    }
  }
  assert.equal(given.length, 256);
  assert.equal(given[0], '172.28.30.0/16');
  assert.equal(given[255], '172.28.30.255/16');
  await ipam.releaseAddress(id, '172.28.30.100');
  assert.equal((await ipam.requestAddress(id)).address, '172.28.30.100/16');
  await rejectsWith(ipam.requestAddress(id, '172.28.31.1'), 'ErrIPOutOfRange');
  // The whole pool is taken (libnetwork's updatePoolDBOnAdd); another sub-pool shares its addresses.
  await rejectsWith(ipam.requestPool({ addressSpace: 'LocalDefault', pool: '172.28.0.0/16' }), 'ErrPoolOverlap');
  const other = await pool(ipam, '172.28.0.0/16', '172.28.30.0/25');
  await rejectsWith(ipam.requestAddress(other), 'ErrNoAvailableIPs');
  // A sub-pool holding the network address still never gives it.
  const low = await pool(ipam, '172.28.0.0/16', '172.28.0.0/30');
  assert.equal((await ipam.requestAddress(low)).address, '172.28.0.1/16');
});

test('serial: round-robin after the last address given (libnetwork TestSerializeRequestReleaseAddressFromSubPool)', async () => {
  const ipam = new DefaultIpam();
  const id = await pool(ipam, '172.28.0.0/16', '172.28.30.0/29', SERIAL);
  assert.equal((await ipam.requestAddress(id)).address, '172.28.30.0/16');
  assert.equal((await ipam.requestAddress(id)).address, '172.28.30.1/16');
  await ipam.releaseAddress(id, '172.28.30.1');
  // A just-released address is not reused at once.
  assert.equal((await ipam.requestAddress(id)).address, '172.28.30.2/16');
  for (let i = 3; i < 8; i++) assert.equal((await ipam.requestAddress(id)).address, `172.28.30.${i}/16`);
  // Wraps round to the free one.
  assert.equal((await ipam.requestAddress(id)).address, '172.28.30.1/16');
  await rejectsWith(ipam.requestAddress(id), 'ErrNoAvailableIPs');
  await ipam.releaseAddress(id, '172.28.30.5');
  await ipam.releaseAddress(id, '172.28.30.3');
  assert.equal((await ipam.requestAddress(id)).address, '172.28.30.3/16');
  assert.equal((await ipam.requestAddress(id)).address, '172.28.30.5/16');
});

test('serial may also be asked per address; lowest-free pools reuse at once', async () => {
  const ipam = new DefaultIpam();
  const id = await pool(ipam, '192.168.10.0/24');
  assert.equal((await ipam.requestAddress(id)).address, '192.168.10.1/24');
  await ipam.releaseAddress(id, '192.168.10.1');
  assert.equal((await ipam.requestAddress(id)).address, '192.168.10.1/24');
  assert.equal((await ipam.requestAddress(id, undefined, SERIAL)).address, '192.168.10.2/24');
  await ipam.releaseAddress(id, '192.168.10.2');
  assert.equal((await ipam.requestAddress(id, undefined, SERIAL)).address, '192.168.10.3/24');
});

test('a gateway request takes the lowest free address, even in serial mode', async () => {
  const ipam = new DefaultIpam();
  const id = await pool(ipam, '192.168.20.0/24', undefined, SERIAL);
  assert.equal((await ipam.requestAddress(id)).address, '192.168.20.1/24');
  assert.equal((await ipam.requestAddress(id)).address, '192.168.20.2/24');
  await ipam.releaseAddress(id, '192.168.20.1');
  assert.equal((await ipam.requestAddress(id, undefined, GATEWAY)).address, '192.168.20.1/24');
  assert.equal((await ipam.requestAddress(id)).address, '192.168.20.3/24');
});

test('duplicates: no address is given twice across request/release churn', async () => {
  const ipam = new DefaultIpam();
  const id = await pool(ipam, '10.20.0.0/22');
  const held = new Set<string>();
  let seed = 7;
  for (let i = 0; i < 5000; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    if (held.size > 0 && seed % 3 === 0) {
      const victim = [...held][seed % held.size] as string;
      held.delete(victim);
      await ipam.releaseAddress(id, victim);
    } else if (held.size < 1022) {
      const { address } = await ipam.requestAddress(id);
      assert.ok(!held.has(address), `duplicate ${address}`);
      held.add(address);
    }
  }
});

test('concurrent requests never return the same address', async () => {
  const ipam = new DefaultIpam();
  const v4 = await pool(ipam, '172.18.0.0/20', undefined, SERIAL);
  const v6 = await pool(ipam, '2001:db8::/64');
  const results = await Promise.all([
    ...Array.from({ length: 2000 }, () => ipam.requestAddress(v4)),
    ...Array.from({ length: 2000 }, () => ipam.requestAddress(v6)),
  ]);
  const addresses = results.map((result) => result.address);
  assert.equal(new Set(addresses).size, 4000);
  // Mixed concurrent release and request: still unique among those held.
  const released = addresses.slice(0, 1000);
  const again = await Promise.all([
    ...released.map((address) => ipam.releaseAddress(v4, address).then(() => undefined)),
    ...Array.from({ length: 1000 }, () => ipam.requestAddress(v4).then((result) => result.address)),
  ]);
  const held = [...addresses.slice(1000, 2000), ...again.filter((address): address is string => address !== undefined)];
  assert.equal(new Set(held).size, held.length);
});
