// Attack: junk in the global IPAM's etcd keys (whoever can write to the cluster's etcd can write
// anything there): malformed pool records, pool records with impossible block lengths or
// gateways, block keys that are no blocks of their pool, some of them in the victim's name,
// borrows that are unreadable or of no address of the pool.
// The victim keeps answering with typed results, a neighbour node keeps allocating from its own
// pool throughout, and the machine's namespace is unchanged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Etcd3 } from 'etcd3';
import { IpamError } from 'wasmnet/ipam';
import { haveEtcd, startEtcd } from '../support/etcd.js';
import { openIpamNode, uniqueIpamPrefix, type IpamNode } from '../support/ipam-nodes.js';
import { machineState } from './harness.js';

const skip = (await haveEtcd()) ? false : 'needs etcd (Debian etcd-server)';

test('junk in the global IPAM keys in etcd never breaks a node or its neighbour', { skip }, async (t) => {
  const machineBefore = machineState();
  const etcd = await startEtcd();
  const prefix = uniqueIpamPrefix();
  const hostile = new Etcd3({ hosts: etcd.endpoints });
  const opened: IpamNode[] = [];
  t.after(async () => {
    for (const node of opened) await node.stop();
    hostile.close();
    await etcd.stop();
  });
  const open = async (name: string): Promise<IpamNode> => {
    const node = await openIpamNode(name, { endpoints: etcd.endpoints, prefix });
    opened.push(node);
    return node;
  };
  const victim = await open('victim');
  const other = await open('neighbour');

  // The neighbour allocates and releases from its own pool for as long as the attack runs.
  const own = (await other.ipam.requestPool({ addressSpace: 'GlobalDefault', pool: '10.93.0.0/24' })).poolId;
  const failures: string[] = [];
  let rounds = 0;
  let running = true;
  const neighbourLoop = (async () => {
    while (running) {
      try {
        const { address } = await other.ipam.requestAddress(own);
        await other.ipam.releaseAddress(own, address);
        rounds++;
      } catch (error) {
        failures.push(String(error));
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();

  const poolId = (await victim.ipam.requestPool({ addressSpace: 'GlobalDefault', pool: '10.91.0.0/24' })).poolId;
  const given = [(await victim.ipam.requestAddress(poolId)).address];
  const put = (key: string, value: string) => hostile.put(`${prefix}${key}`).value(value).exec();
  await put('pools/10.90.0.0/24', '{not json');
  await put('pools/10.92.0.0/24', JSON.stringify({ pool: '10.92.0.0/24', blockLength: 0, holders: ['x'] }));
  await put('pools/10.94.0.0/24', JSON.stringify({ pool: '10.94.0.0/24', blockLength: 26, holders: 7 }));
  await put(
    'pools/10.95.0.0/24',
    JSON.stringify({ pool: '10.95.0.0/24', blockLength: 26, holders: ['x'], gateway: '192.0.2.1' }),
  );
  await put('pools/junk', 'null');
  for (const block of ['junk', '10.91.0.64/30', '10.8.0.0/26', '10.91.0.100/26', '../../pools/10.91.0.0/24'])
    await put(`blocks/10.91.0.0/24/${block}`, 'victim');
  await put('blocks/10.91.0.0/24', 'victim');
  // Borrows: unreadable, of no address, outside the pool, answered for someone else.
  await put('borrows/10.91.0.0/24/10.91.0.5', '{bad');
  await put('borrows/10.91.0.0/24/junk', JSON.stringify({ node: 'x', state: 'asked' }));
  await put('borrows/10.91.0.0/24/10.99.9.9', JSON.stringify({ node: 'x', state: 'asked' }));
  await put('borrows/10.91.0.0/24/10.91.0.001', JSON.stringify({ node: 'x', state: 'granted' }));
  await put('borrows/10.91.0.0/24', JSON.stringify({ node: 'victim', state: 'granted' }));

  // The victim restarts amid the junk: its real block comes back, the junk is no block of its.
  await victim.stop();
  const again = await open('victim');
  assert.equal((await again.ipam.requestPool({ addressSpace: 'GlobalDefault', pool: '10.91.0.0/24' })).poolId, poolId);
  assert.equal((await again.ipam.requestAddress(poolId, given[0]?.split('/')[0])).address, given[0]);
  for (let i = 0; i < 70; i++) given.push((await again.ipam.requestAddress(poolId)).address);
  assert.equal(new Set(given).size, given.length);
  assert.ok(given.every((address) => /^10\.91\.0\.\d+\/24$/.test(address)));
  // Junk pool records are no pools: their subnets can be reserved (the record is replaced).
  for (const subnet of ['10.90.0.0/24', '10.92.0.0/24', '10.94.0.0/24', '10.95.0.0/24']) {
    const pool = await again.ipam.requestPool({ addressSpace: 'GlobalDefault', pool: subnet });
    assert.equal((await again.ipam.requestAddress(pool.poolId)).address, subnet.replace('0/24', '1/24'));
  }
  // Hostile ids and addresses get typed errors.
  for (const call of [
    () => again.ipam.requestAddress('GlobalDefault/../../pools/10.91.0.0/24'),
    () => again.ipam.requestAddress(poolId, '10.91.0.0/24/../x'),
    () => again.ipam.releaseAddress(poolId, `${'9'.repeat(10_000)}`),
    () => again.ipam.requestPool({ addressSpace: 'GlobalDefault', pool: '10.91.0.0/24/../../x' }),
  ]) {
    await assert.rejects(call(), (error: unknown) => error instanceof IpamError);
  }

  running = false;
  await neighbourLoop;
  assert.deepEqual(failures, []);
  assert.ok(rounds > 0, 'the neighbour allocated during the attack');
  assert.equal(machineState(), machineBefore, "the machine's namespace changed");
});
