// Global-scope drivers on a single host (a cluster of one): NetworkAllocate once at create, its
// options reaching CreateNetwork, NetworkFree once at delete (and on rollback), and node
// discovery: every driver hears of this node itself, and a driver registered later too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NetworkError } from '../../host/controller/index.js';
import { makeHost } from './fixtures.js';
import { GlobalTestDriver, VNI_OPTION } from './global-driver.js';
import { needsRoot } from '../support/root.js';

test(
  'a global driver: NetworkAllocate once, its options reach CreateNetwork, NetworkFree once',
  needsRoot,
  async (t) => {
    const h = makeHost('g');
    t.after(() => h.cleanup());
    const global = new GlobalTestDriver(h.host).register(h.registry);
    let c = await h.controller({ advertiseAddress: '192.0.2.10' });
    t.after(() => c.close());
    assert.deepEqual(global.discovered, [
      { call: 'new', address: '192.0.2.10', bindAddress: '192.0.2.10', self: true },
    ]);

    const net = await c.newNetwork('globaltest', 'g1', { ipam: { config: [{ subnet: '10.61.0.0/24' }] } });
    assert.deepEqual(global.allocated, [net.id()]);
    const created = global.calls.find((call) => call.method === 'createNetwork');
    assert.ok(created !== undefined);
    assert.ok((created.args[1] as Array<[string, string]>).some(([k, v]) => k === VNI_OPTION && v === '4096'));
    assert.equal(net.info().driverOptions[VNI_OPTION], '4096');

    // A local driver's network is never allocated.
    const local = await c.newNetwork('bridge', 'l1', { ipam: { config: [{ subnet: '10.62.0.0/24' }] } });
    assert.deepEqual(global.allocated, [net.id()]);
    await local.delete();

    // A restart restores the network; nothing is allocated again, the node is announced again.
    await c.close();
    c = await h.controller({ advertiseAddress: '192.0.2.11' });
    assert.deepEqual(global.allocated, [net.id()]);
    assert.deepEqual(global.discovered.at(-1), {
      call: 'new',
      address: '192.0.2.11',
      bindAddress: '192.0.2.11',
      self: true,
    });
    const restored = c.networkByName('g1');
    assert.equal(restored?.info().driverOptions[VNI_OPTION], '4096');
    await restored?.delete();
    assert.deepEqual(global.freed, [net.id()]);
    assert.equal(h.driver.count('deleteNetwork'), 1, 'only the local network reached the bridge driver');
  },
);

test(
  'a failed NetworkAllocate leaves nothing; a failed CreateNetwork frees what was allocated',
  needsRoot,
  async (t) => {
    const h = makeHost('g');
    t.after(() => h.cleanup());
    const global = new GlobalTestDriver(h.host).register(h.registry);
    const c = await h.controller();
    t.after(() => c.close());

    global.failAllocate = true;
    await assert.rejects(
      c.newNetwork('globaltest', 'g1', { ipam: { config: [{ subnet: '10.63.0.0/24' }] } }),
      (error) => error instanceof NetworkError && /NetworkAllocate/.test(error.message),
    );
    assert.equal(global.count('createNetwork'), 0);
    assert.deepEqual(c.store.networks.all(), []);

    global.failAllocate = false;
    global.failOn.add('createNetwork');
    await assert.rejects(c.newNetwork('globaltest', 'g1', { ipam: { config: [{ subnet: '10.63.0.0/24' }] } }));
    assert.equal(global.allocated.length, 1);
    assert.deepEqual(global.freed, global.allocated);
    assert.deepEqual(c.store.networks.all(), []);

    // The same subnet is free again: IPAM got its pool back.
    global.failOn.clear();
    const net = await c.newNetwork('globaltest', 'g1', { ipam: { config: [{ subnet: '10.63.0.0/24' }] } });
    await net.delete();
  },
);

test(
  'a driver registered after the start hears of this node (default address when none is given)',
  needsRoot,
  async (t) => {
    const h = makeHost('g');
    t.after(() => h.cleanup());
    const c = await h.controller();
    t.after(() => c.close());
    const late = new GlobalTestDriver(h.host).register(h.registry);
    // Announced on registration, without waiting for anything else.
    await new Promise((resolve) => setImmediate(resolve));
    const selfs = late.discovered.filter((d) => d.self);
    assert.ok(selfs.length >= 1);
    // The private host namespace has only loopback: a single host advertises 127.0.0.1.
    assert.equal(selfs[0]?.address, '127.0.0.1');
    assert.equal(selfs[0]?.bindAddress, '127.0.0.1');
  },
);
