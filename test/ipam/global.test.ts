// The GlobalDefault address space on a real etcd (Debian's etcd-server, started per test): nodes
// are GlobalIpam instances with clients and leases of their own, as separate hosts would be.
import assert from 'node:assert/strict';
import { after, test, type TestContext } from 'node:test';
import { DefaultIpam, GATEWAY_ADDRESS_TYPE, REQUEST_ADDRESS_TYPE, type Ipam, type PoolResponse } from 'wasmnet/ipam';
import { SplitIpam } from 'wasmnet/ipam/global';
import { haveEtcd, startEtcd, type EtcdCluster } from '../support/etcd.js';
import {
  openIpamNode,
  uniqueIpamPrefix,
  waitNodeGone,
  type IpamNode,
  type IpamNodeOptions,
} from '../support/ipam-nodes.js';
import { rejectsWith } from './helpers.js';

const skip = (await haveEtcd()) ? false : 'needs etcd (Debian etcd-server)';
const GATEWAY = { [REQUEST_ADDRESS_TYPE]: GATEWAY_ADDRESS_TYPE };

/** One etcd for the whole file (each test has a key prefix of its own). */
let etcd: EtcdCluster | undefined;
after(async () => {
  await etcd?.stop();
});

async function nodes(
  t: TestContext,
  names: string[],
  options: Partial<IpamNodeOptions> = {},
): Promise<{ nodes: IpamNode[]; prefix: string; etcd: EtcdCluster }> {
  etcd ??= await startEtcd();
  const store = etcd;
  const prefix = options.prefix ?? uniqueIpamPrefix();
  const opened: IpamNode[] = [];
  t.after(async () => {
    for (const node of opened) await node.stop();
  });
  for (const name of names) opened.push(await openIpamNode(name, { endpoints: store.endpoints, prefix, ...options }));
  return { nodes: opened, prefix, etcd: store };
}

/** requestPool of `pool` in GlobalDefault. */
function globalPool(ipam: Ipam, pool: string): Promise<PoolResponse> {
  return ipam.requestPool({ addressSpace: 'GlobalDefault', pool });
}

/** Polls `check` every 20 ms for up to 5 s (a watch event crosses etcd). */
async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 250; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail('condition not met within 5 s');
}

function ipOf(cidr: string): string {
  return cidr.slice(0, cidr.indexOf('/'));
}

test('nodes allocating at once get unique addresses, almost all with no etcd request', { skip }, async (t) => {
  const { nodes: all } = await nodes(t, ['n1', 'n2', 'n3', 'n4']);
  // Every node requests the same subnet at the same moment: one creates it, the others join it.
  const pools = await Promise.all(all.map((node) => globalPool(node.ipam, '10.20.0.0/16')));
  assert.deepEqual(new Set(pools.map((p) => p.poolId)), new Set(['GlobalDefault/10.20.0.0/16']));
  const gateways = await Promise.all(
    all.map((node) => node.ipam.requestAddress('GlobalDefault/10.20.0.0/16', undefined, GATEWAY)),
  );
  assert.deepEqual(new Set(gateways.map((g) => g.address)), new Set(['10.20.0.1/16']));

  const perNode = 300;
  const before = all.map((node) => node.ipam.etcdRequests);
  const given = await Promise.all(
    all.map((node) =>
      Promise.all(
        Array.from({ length: perNode }, () =>
          node.ipam.requestAddress('GlobalDefault/10.20.0.0/16').then((r) => r.address),
        ),
      ),
    ),
  );
  const addresses = given.flat();
  assert.equal(addresses.length, all.length * perNode);
  assert.equal(new Set(addresses).size, addresses.length, 'an address was given twice');
  assert.ok(!addresses.includes('10.20.0.1/16'), 'the gateway was given to an endpoint');
  assert.ok(!addresses.includes('10.20.0.0/16'), 'the network address was given');
  // 300 addresses need 5 blocks of 64: a claim each, plus a retry when two nodes race for one.
  const requests = all.map((node, i) => node.ipam.etcdRequests - (before[i] as number));
  for (const count of requests) assert.ok(count >= 5 && count <= 5 + all.length * 5, `etcd requests: ${count}`);
  const perAllocation = requests.reduce((a, b) => a + b, 0) / addresses.length;
  assert.ok(perAllocation < 0.1, `etcd requests per allocation: ${perAllocation}`);
  // Each node's addresses lie in /26 blocks no other node gave from.
  const blockHolder = new Map<string, number>();
  given.forEach((list, node) => {
    for (const address of list) {
      const octets = ipOf(address).split('.').map(Number);
      const block = `${octets[2]}.${Math.floor((octets[3] as number) / 64)}`;
      assert.equal(blockHolder.get(block) ?? node, node, `block ${block} gave to two nodes`);
      blockHolder.set(block, node);
    }
  });
});

test('the same subnet is one pool on every node; an overlapping one is refused', { skip }, async (t) => {
  const {
    nodes: [a, b],
    prefix,
  } = await nodes(t, ['a', 'b']);
  const ipamA = (a as IpamNode).ipam;
  const ipamB = (b as IpamNode).ipam;
  const pool = await globalPool(ipamA, '10.30.0.0/24');
  assert.equal(pool.poolId, 'GlobalDefault/10.30.0.0/24');
  assert.equal((await globalPool(ipamB, '10.30.0.7/24')).poolId, pool.poolId);
  // The same node twice, or an overlapping subnet anywhere: refused, and nothing is reserved.
  await rejectsWith(globalPool(ipamA, '10.30.0.0/24'), 'ErrPoolOverlap');
  const c = (await nodes(t, ['c'], { prefix })).nodes[0] as IpamNode;
  await rejectsWith(globalPool(c.ipam, '10.30.0.0/16'), 'ErrPoolOverlap');
  await rejectsWith(globalPool(c.ipam, '10.30.0.128/25'), 'ErrPoolOverlap');
  const keys = await c.client.getAll().prefix(`${prefix}pools/`).keys();
  assert.deepEqual(keys, [`${prefix}pools/10.30.0.0/24`]);
  // A dynamic pool skips what any node reserved.
  const first = await ipamA.requestPool({ addressSpace: 'GlobalDefault' });
  const second = await c.ipam.requestPool({ addressSpace: 'GlobalDefault' });
  assert.deepEqual([first.pool, second.pool], ['10.0.0.0/24', '10.0.1.0/24']);

  // One gateway for the pool, whichever node asks first and however it asks.
  assert.equal((await ipamB.requestAddress(pool.poolId, '10.30.0.254', GATEWAY)).address, '10.30.0.254/24');
  assert.equal((await ipamA.requestAddress(pool.poolId, undefined, GATEWAY)).address, '10.30.0.254/24');
  assert.equal((await ipamA.requestAddress(pool.poolId, '10.30.0.254', GATEWAY)).address, '10.30.0.254/24');
  await rejectsWith(ipamA.requestAddress(pool.poolId, '10.30.0.1', GATEWAY), 'ErrIPAlreadyAllocated');
  // Nobody gets the gateway as an endpoint address, even from the block that holds it.
  await rejectsWith(ipamA.requestAddress(pool.poolId, '10.30.0.254'), 'ErrIPAlreadyAllocated');

  // The pool lives while one node holds it; the last release frees it cluster-wide.
  await ipamA.releasePool(pool.poolId);
  await rejectsWith(globalPool(c.ipam, '10.30.0.0/25'), 'ErrPoolOverlap');
  await ipamB.releasePool(pool.poolId);
  assert.equal((await globalPool(c.ipam, '10.30.0.0/25')).poolId, 'GlobalDefault/10.30.0.0/25');
});

test('when every block of a pool is held, the pool is exhausted; a release makes room', { skip }, async (t) => {
  // A /26 in /27 blocks: two blocks, one per node.
  const {
    nodes: [a, b],
  } = await nodes(t, ['a', 'b'], { blockLength: { v4: 27 } });
  const [ipamA, ipamB] = [(a as IpamNode).ipam, (b as IpamNode).ipam];
  const poolId = (await globalPool(ipamA, '10.40.0.0/26')).poolId;
  await globalPool(ipamB, '10.40.0.0/26');
  assert.equal((await ipamA.requestAddress(poolId)).address, '10.40.0.1/26');
  assert.equal((await ipamB.requestAddress(poolId)).address, '10.40.0.32/26');
  // A's block: 31 addresses (.0 is the network's); B's: 31 (.63 is the broadcast).
  for (let i = 0; i < 30; i++) await ipamA.requestAddress(poolId);
  await rejectsWith(ipamA.requestAddress(poolId), 'ErrNoAvailableIPs');
  const before = ipamA.etcdRequests;
  await ipamA.releaseAddress(poolId, '10.40.0.7');
  assert.equal((await ipamA.requestAddress(poolId)).address, '10.40.0.7/26');
  assert.equal(ipamA.etcdRequests, before, 'a release and a request in a held block need no etcd request');
});

test("a preferred address of another node's block is borrowed from that node", { skip }, async (t) => {
  const {
    nodes: [a, b],
    prefix,
  } = await nodes(t, ['a', 'b'], { blockLength: { v4: 27 } });
  const [ipamA, ipamB] = [(a as IpamNode).ipam, (b as IpamNode).ipam];
  const poolId = (await globalPool(ipamA, '10.44.0.0/26')).poolId;
  await globalPool(ipamB, '10.44.0.0/26');
  assert.equal((await ipamA.requestAddress(poolId)).address, '10.44.0.1/26');
  assert.equal((await ipamB.requestAddress(poolId)).address, '10.44.0.32/26');
  // B holds 10.44.0.32/27: it alone knows what it gave, so A asks it.
  assert.equal((await ipamA.requestAddress(poolId, '10.44.0.40')).address, '10.44.0.40/26');
  await rejectsWith(ipamA.requestAddress(poolId, '10.44.0.32'), 'ErrIPAlreadyAllocated');
  await rejectsWith(ipamA.requestAddress(poolId, '10.44.0.40'), 'ErrIPAlreadyAllocated');
  await rejectsWith(ipamB.requestAddress(poolId, '10.44.0.40'), 'ErrIPAlreadyAllocated');
  // B's own allocations skip the lent address.
  const fromB: string[] = [];
  for (let i = 0; i < 29; i++) fromB.push((await ipamB.requestAddress(poolId)).address);
  assert.ok(!fromB.includes('10.44.0.40/26'));
  await rejectsWith(ipamB.requestAddress(poolId), 'ErrNoAvailableIPs');
  // Given back: B may give it again.
  await ipamA.releaseAddress(poolId, '10.44.0.40');
  await waitFor(async () => (await ipamB.requestAddress(poolId).catch(() => undefined))?.address === '10.44.0.40/26');
  const borrows = await (a as IpamNode).client.getAll().prefix(`${prefix}borrows/`).keys();
  assert.deepEqual(borrows, []);
});

test("a dead node's blocks and pools are reclaimed by the others", { skip }, async (t) => {
  const {
    nodes: [a, b],
    prefix,
  } = await nodes(t, ['a', 'b'], { blockLength: { v4: 27 }, ttlSeconds: 2 });
  const [nodeA, nodeB] = [a as IpamNode, b as IpamNode];
  const poolId = (await globalPool(nodeA.ipam, '10.41.0.0/26')).poolId;
  await globalPool(nodeB.ipam, '10.41.0.0/26');
  assert.equal((await nodeA.ipam.requestAddress(poolId)).address, '10.41.0.1/26');
  assert.equal((await nodeB.ipam.requestAddress(poolId)).address, '10.41.0.32/26');
  for (let i = 0; i < 30; i++) await nodeA.ipam.requestAddress(poolId);
  await rejectsWith(nodeA.ipam.requestAddress(poolId), 'ErrNoAvailableIPs');
  // B alone holds another pool.
  await globalPool(nodeB.ipam, '10.42.0.0/24');

  await nodeB.crash();
  await waitNodeGone(nodeA.client, prefix, 'b');
  // B's block came back to the pool: A claims it.
  assert.equal((await nodeA.ipam.requestAddress(poolId)).address, '10.41.0.32/26');
  // B's own pool is free again, even for an overlapping subnet.
  assert.equal((await globalPool(nodeA.ipam, '10.42.0.0/16')).poolId, 'GlobalDefault/10.42.0.0/16');
});

test('a restarted node gets its blocks back and replays its allocations', { skip }, async (t) => {
  const {
    nodes: [a, b],
    prefix,
    etcd: store,
  } = await nodes(t, ['a', 'b'], { ttlSeconds: 2 });
  const [nodeA, nodeB] = [a as IpamNode, b as IpamNode];
  const poolId = (await globalPool(nodeA.ipam, '10.50.0.0/24')).poolId;
  const gateway = (await nodeA.ipam.requestAddress(poolId, undefined, GATEWAY)).address;
  const given: string[] = [];
  for (let i = 0; i < 70; i++) given.push((await nodeA.ipam.requestAddress(poolId)).address);

  // A crashes and stays down past its lease: B joins meanwhile and needs a block.
  await nodeA.crash();
  await waitNodeGone(nodeB.client, prefix, 'a');
  await globalPool(nodeB.ipam, '10.50.0.0/24');
  const fromB = (await nodeB.ipam.requestAddress(poolId)).address;
  assert.equal(fromB, '10.50.0.128/24', "B claims a free block, not one of the dead node's");
  const holders = await nodeB.client.getAll().prefix(`${prefix}blocks/10.50.0.0/24/`).strings();
  assert.deepEqual(Object.values(holders).sort(), ['a', 'a', 'b']);

  // A comes back (a new process: new client, new lease, same node name) and replays.
  const restarted = await openIpamNode('a', { endpoints: store.endpoints, prefix, ttlSeconds: 2 });
  t.after(() => restarted.stop());
  const again = restarted.ipam;
  assert.equal((await globalPool(again, '10.50.0.0/24')).poolId, poolId);
  assert.equal((await again.requestAddress(poolId, ipOf(gateway), GATEWAY)).address, gateway);
  const beforeReplay = again.etcdRequests;
  for (const address of given) assert.equal((await again.requestAddress(poolId, ipOf(address))).address, address);
  assert.equal(again.etcdRequests, beforeReplay, 'replaying addresses of its own blocks needs no etcd request');
  const next = (await again.requestAddress(poolId)).address;
  assert.equal(next, '10.50.0.72/24', 'the next address after the replayed ones');
});

test('a node whose lease was lost takes back the blocks nobody took over', { skip }, async (t) => {
  // A /25 in /27 blocks: A holds two, B the two others.
  const {
    nodes: [a, b],
    prefix,
  } = await nodes(t, ['a', 'b'], { blockLength: { v4: 27 } });
  const [nodeA, nodeB] = [a as IpamNode, b as IpamNode];
  const poolId = (await globalPool(nodeA.ipam, '10.43.0.0/25')).poolId;
  await globalPool(nodeB.ipam, '10.43.0.0/25');
  for (let i = 0; i < 40; i++) await nodeA.ipam.requestAddress(poolId);
  for (let i = 0; i < 63; i++) await nodeB.ipam.requestAddress(poolId);
  await rejectsWith(nodeB.ipam.requestAddress(poolId), 'ErrNoAvailableIPs');

  // A's lease is lost (revoked here, as an expiry would): A is dead to the others.
  await nodeA.lease.revoke();
  await waitNodeGone(nodeB.client, prefix, 'a');
  // With nothing free, B takes over a dead node's block.
  assert.equal((await nodeB.ipam.requestAddress(poolId)).address, '10.43.0.1/25');
  // A gets a new lease: the block B took is B's now; A gives from the block it kept.
  const lease = nodeA.client.lease(5);
  t.after(() => lease.revoke().catch(() => undefined));
  await nodeA.ipam.renewLease(lease);
  assert.equal((await nodeA.ipam.requestAddress(poolId)).address, '10.43.0.41/25');
  for (let i = 0; i < 22; i++) await nodeA.ipam.requestAddress(poolId);
  await rejectsWith(nodeA.ipam.requestAddress(poolId), 'ErrNoAvailableIPs');
  const holders = await nodeB.client.getAll().prefix(`${prefix}blocks/10.43.0.0/25/`).strings();
  assert.deepEqual(
    Object.entries(holders).map(([key, node]) => `${key.split('/').slice(-2).join('/')} ${node}`),
    ['10.43.0.0/27 b', '10.43.0.32/27 a', '10.43.0.64/27 b', '10.43.0.96/27 b'],
  );
});

test('bad input is refused with a typed error and changes nothing', { skip }, async (t) => {
  const {
    nodes: [a, b],
  } = await nodes(t, ['a', 'b']);
  const [ipamA, ipamB] = [(a as IpamNode).ipam, (b as IpamNode).ipam];
  const poolId = (await globalPool(ipamA, '10.60.0.0/24')).poolId;
  await globalPool(ipamB, '10.60.0.0/24');
  const held = (await ipamA.requestAddress(poolId)).address;
  // An address of a block this node does not hold, or outside the pool.
  await rejectsWith(ipamB.releaseAddress(poolId, ipOf(held)), 'ErrIPOutOfRange');
  await rejectsWith(ipamA.releaseAddress(poolId, '10.61.0.1'), 'ErrIPOutOfRange');
  await rejectsWith(ipamA.releaseAddress(poolId, 'not an address'), 'ErrIPOutOfRange');
  await rejectsWith(ipamA.requestAddress(poolId, '10.60.1.1'), 'ErrIPOutOfRange');
  await rejectsWith(ipamA.requestAddress(poolId, held.split('/')[0]), 'ErrIPAlreadyAllocated');
  await rejectsWith(ipamA.requestAddress('GlobalDefault/10.99.0.0/24'), 'ErrPoolNotFound');
  await rejectsWith(ipamA.requestAddress('GlobalDefault/junk'), 'ErrBadPool');
  await rejectsWith(ipamA.requestPool({ addressSpace: 'LocalDefault' }), 'ErrInvalidAddressSpace');
  await rejectsWith(globalPool(ipamA, '10.60.0.0/33'), 'ErrInvalidPool');
  await rejectsWith(globalPool(ipamA, '0.0.0.0/0'), 'ErrInvalidPool');
  await rejectsWith(
    ipamA.requestPool({ addressSpace: 'GlobalDefault', pool: '10.62.0.0/24', subPool: '10.63.0.0/25' }),
    'ErrInvalidSubPool',
  );
  // Still whole: the held address is still held, the pool still one.
  await rejectsWith(ipamA.requestAddress(poolId, held.split('/')[0]), 'ErrIPAlreadyAllocated');
  await ipamA.releaseAddress(poolId, ipOf(held));
  assert.equal((await ipamA.requestAddress(poolId, ipOf(held))).address, held);
});

test('a sub-pool gives addresses from its own range, in blocks of the pool', { skip }, async (t) => {
  const {
    nodes: [a],
  } = await nodes(t, ['a']);
  const ipam = (a as IpamNode).ipam;
  const sub = await ipam.requestPool({ addressSpace: 'GlobalDefault', pool: '10.70.0.0/16', subPool: '10.70.3.0/24' });
  assert.equal(sub.poolId, 'GlobalDefault/10.70.0.0/16/10.70.3.0/24');
  assert.equal((await ipam.requestAddress(sub.poolId, undefined, GATEWAY)).address, '10.70.3.0/16');
  const given = [];
  for (let i = 0; i < 100; i++) given.push((await ipam.requestAddress(sub.poolId)).address);
  assert.equal(given[0], '10.70.3.1/16');
  assert.equal(given[99], '10.70.3.100/16');
  // IPv6: a /64 in /122 blocks.
  const v6 = await ipam.requestPool({ addressSpace: 'GlobalDefault', pool: 'fd00:70::/64', v6: true });
  assert.equal((await ipam.requestAddress(v6.poolId)).address, 'fd00:70::1/64');
  assert.equal((await ipam.requestAddress(v6.poolId, 'fd00:70::1:0')).address, 'fd00:70::1:0/64');
});

test('SplitIpam keeps LocalDefault on the node and sends GlobalDefault to the cluster', { skip }, async (t) => {
  const {
    nodes: [a],
  } = await nodes(t, ['a']);
  const split = new SplitIpam(new DefaultIpam(), (a as IpamNode).ipam);
  assert.deepEqual(await split.getDefaultAddressSpaces(), {
    localDefaultAddressSpace: 'LocalDefault',
    globalDefaultAddressSpace: 'GlobalDefault',
  });
  const local = await split.requestPool({ addressSpace: 'LocalDefault' });
  const global = await split.requestPool({ addressSpace: 'GlobalDefault' });
  assert.deepEqual([local.pool, global.pool], ['172.17.0.0/16', '10.0.0.0/24']);
  const before = (a as IpamNode).ipam.etcdRequests;
  assert.equal((await split.requestAddress(local.poolId)).address, '172.17.0.1/16');
  assert.equal((a as IpamNode).ipam.etcdRequests, before);
  assert.equal((await split.requestAddress(global.poolId)).address, '10.0.0.1/24');
  await split.releasePool(global.poolId);
  await split.releasePool(local.poolId);
});
