// A 3-member etcd whose leader is killed while a node writes table entries: the other node
// gets every create and every delete exactly once, in order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { haveEtcd, startEtcd } from '../support/etcd.js';
import { cleanupStack, recorder, tableNode, text, uniquePrefix, waitFor } from './support.js';

const skip = (await haveEtcd()) ? false : 'etcd is not installed';
const COUNT = 200;

test('killing the leader of a 3-member etcd loses no table event and applies none twice', {
  skip,
  timeout: 180_000,
}, async (context) => {
  const t = cleanupStack(context);
  const etcd = await startEtcd({ size: 3, t });
  const prefix = uniquePrefix();
  const writer = tableNode(t, etcd.endpoints, prefix);
  const reader = tableNode(t, etcd.endpoints, prefix);
  const seen = recorder();
  await reader.store.subscribe('reader', 'n1', 'peers', seen.listener);

  const killAt = new Set([COUNT / 4, (3 * COUNT) / 2]);
  let restartedLeader: Promise<void> | undefined;
  for (let i = 0; i < 2 * COUNT; i++) {
    if (killAt.has(i)) {
      const leader = await etcd.leader();
      await etcd.kill(leader);
      // Back while the writes go on: the next kill finds three members again.
      restartedLeader = etcd.restart(leader);
    }
    // Writes are queued and sent in batches: all puts are in etcd before the deletes start.
    if (i === COUNT) await writer.store.flushed();
    if (i < COUNT) await writer.store.put('writer', 'n1', 'peers', `ep${i}`, text(`10.1.${i >> 8}.${i & 255}`));
    else await writer.store.delete('writer', 'n1', 'peers', `ep${i - COUNT}`);
    // Small batches, so that the kills land between them.
    if (i % 10 === 9) await writer.store.flushed();
  }
  await writer.store.flushed();
  await restartedLeader;
  await waitFor('every event', () => seen.events.length >= 2 * COUNT, 30_000);
  // Late duplicates would come now.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(seen.events.length, 2 * COUNT);
  const byKey = new Map<string, string[]>();
  for (const event of seen.events) byKey.set(event.key, [...(byKey.get(event.key) ?? []), event.type]);
  assert.equal(byKey.size, COUNT);
  for (const [key, types] of byKey) assert.deepEqual(types, ['create', 'delete'], key);
});
