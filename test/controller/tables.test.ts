// Table events between two controllers ("hosts") sharing the in-process table store.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InProcessTableStore } from '../../host/controller/index.js';
import { makeHost } from './fixtures.js';
import { needsRoot } from '../support/root.js';

test(
  "join entries reach the other host's driver (create, delete), never the writer's own; late subscribers catch up",
  needsRoot,
  async () => {
    const tables = new InProcessTableStore();
    const h1 = makeHost('h1');
    const h2 = makeHost('h2');
    h1.driver.tables = ['endpoint_table'];
    h2.driver.tables = ['endpoint_table'];
    const c1 = await h1.controller({ tableStore: tables });
    const c2 = await h2.controller({ tableStore: tables });
    try {
      const id = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
      const n1 = await c1.newNetwork('bridge', 'shared', { id, ipam: { config: [{ subnet: '10.60.0.0/24' }] } });
      const ep1 = await n1.createEndpoint('ep1');
      const s1 = await c1.newSandbox('one');
      await ep1.join(s1);
      assert.deepEqual(h1.driver.events, [], 'a driver is never told of its own entries');

      // Host 2 creates the same network later: TableEventRegister delivers what exists.
      const n2 = await c2.newNetwork('bridge', 'shared', {
        id,
        ipam: { config: [{ subnet: '10.60.0.0/24', ipRange: '10.60.0.128/25' }] },
      });
      assert.deepEqual(h2.driver.events, [
        { event: 'create', networkId: id, tableName: 'endpoint_table', key: ep1.id(), value: '10.60.0.2/24' },
      ]);

      const ep2 = await n2.createEndpoint('ep2');
      const s2 = await c2.newSandbox('two');
      await ep2.join(s2);
      assert.deepEqual(h1.driver.events, [
        { event: 'create', networkId: id, tableName: 'endpoint_table', key: ep2.id(), value: '10.60.0.129/24' },
      ]);
      assert.equal(h2.driver.events.length, 1);

      await ep1.leave(s1);
      assert.deepEqual(h2.driver.events.at(-1), {
        event: 'delete',
        networkId: id,
        tableName: 'endpoint_table',
        key: ep1.id(),
        value: '10.60.0.2/24',
      });
      assert.equal(h1.driver.events.length, 1);

      // A deleted network no longer hears of the table.
      await ep1.delete();
      await n1.delete();
      await ep2.leave(s2);
      assert.equal(h1.driver.events.length, 1);
      await s1.delete();
      await s2.delete();
      await ep2.delete();
      await n2.delete();
    } finally {
      await c1.close();
      await c2.close();
      h1.cleanup();
      h2.cleanup();
    }
  },
);
