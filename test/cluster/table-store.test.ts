// The etcd table store between nodes (each its own client and lease) on a real etcd: the
// in-process store's semantics, lease expiry of a dead writer, and a re-read after compaction.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { haveEtcd, startEtcd } from '../support/etcd.js';
import {
  cleanupStack,
  client,
  killChild,
  recorder,
  startChild,
  str,
  tableNode,
  text,
  uniquePrefix,
  waitFor,
} from './support.js';

const skip = (await haveEtcd()) ? false : 'etcd is not installed';
const NET = 'n1';
const TABLE = 'overlay_peer_table';

test('entries reach the other nodes (create, update, delete), never the writer; late subscribers catch up', {
  skip,
}, async (context) => {
  const t = cleanupStack(context);
  const etcd = await startEtcd({ t });
  const prefix = uniquePrefix();
  const a = tableNode(t, etcd.endpoints, prefix);
  const b = tableNode(t, etcd.endpoints, prefix);
  const onA = recorder();
  const onB = recorder();
  await a.store.subscribe('a', NET, TABLE, onA.listener);
  await b.store.subscribe('b', NET, TABLE, onB.listener);

  await a.store.put('a', NET, TABLE, 'ep1', text('10.0.0.2'));
  await waitFor('the create on b', () => onB.events.length === 1);
  assert.deepEqual(
    onB.events.map((e) => [e.type, e.key, str(e.value)]),
    [['create', 'ep1', '10.0.0.2']],
  );
  await a.store.put('a', NET, TABLE, 'ep1', text('10.0.0.3'));
  await a.store.delete('a', NET, TABLE, 'ep1');
  // b deletes only what b wrote: a no-op.
  await b.store.delete('b', NET, TABLE, 'ep2');
  await b.store.put('b', NET, TABLE, 'ep2', text('10.0.0.9'));
  await waitFor('the update and delete on b', () => onB.events.length === 3);
  await waitFor('b entry on a', () => onA.events.length === 1);
  assert.deepEqual(
    onB.events.map((e) => [e.type, e.key, str(e.value)]),
    [
      ['create', 'ep1', '10.0.0.2'],
      ['update', 'ep1', '10.0.0.3'],
      ['delete', 'ep1', '10.0.0.3'],
    ],
  );
  assert.deepEqual(
    onA.events.map((e) => [e.type, e.key, str(e.value)]),
    [['create', 'ep2', '10.0.0.9']],
  );

  // A third node subscribing late gets what exists, as creates; another table hears nothing.
  const c = tableNode(t, etcd.endpoints, prefix);
  const onC = recorder();
  const other = recorder();
  await c.store.subscribe('c', NET, TABLE, onC.listener);
  await c.store.subscribe('c', 'n2', TABLE, other.listener);
  assert.deepEqual(
    onC.events.map((e) => [e.type, e.key, str(e.value)]),
    [['create', 'ep2', '10.0.0.9']],
  );
  assert.deepEqual(other.events, []);
});

test("a writer's lease expiring deletes its entries on the other nodes", {
  skip,
  timeout: 120_000,
}, async (context) => {
  const t = cleanupStack(context);
  const etcd = await startEtcd({ t });
  const prefix = uniquePrefix();
  const ttl = 2;
  const b = tableNode(t, etcd.endpoints, prefix);
  const onB = recorder();
  await b.store.subscribe('b', NET, TABLE, onB.listener);
  // The writer is a process of its own, killed as a crashed node would be.
  const writer = await startChild(t, 'table-writer-child.js', [etcd.endpoints.join(','), prefix, String(ttl), '5']);
  await waitFor('five creates', () => onB.events.length === 5);
  const killedAt = Date.now();
  await killChild(writer.child);
  await waitFor('five deletes', () => onB.events.length === 10, (ttl + 5) * 1000);
  const seconds = (Date.now() - killedAt) / 1000;
  assert.ok(seconds <= ttl + 3, `deleted ${seconds} s after the writer died (TTL ${ttl} s)`);
  assert.deepEqual(
    onB.events.slice(5).map((e) => e.type),
    ['delete', 'delete', 'delete', 'delete', 'delete'],
  );
});

test('a watch resumed after a compaction past its revision re-reads and delivers the difference once', {
  skip,
}, async (context) => {
  const t = cleanupStack(context);
  const etcd = await startEtcd({ size: 3, t });
  const prefix = uniquePrefix();
  const [m0, m1] = etcd.members as [(typeof etcd.members)[0], (typeof etcd.members)[0]];
  // The subscriber talks to m0 only; the writer to m1 only.
  const writer = tableNode(t, [m1.clientUrl], prefix);
  const reader = tableNode(t, [m0.clientUrl], prefix);
  const onReader = recorder();
  await writer.store.put('w', NET, TABLE, 'gone', text('1'));
  await writer.store.put('w', NET, TABLE, 'kept', text('2'));
  await writer.store.flushed();
  await reader.store.subscribe('r', NET, TABLE, onReader.listener);
  await waitFor('two creates', () => onReader.events.length === 2);

  const before = await client(t, [m1.clientUrl]).get('any').exec();
  await etcd.kill(m0);
  await writer.store.delete('w', NET, TABLE, 'gone');
  await writer.store.put('w', NET, TABLE, 'kept', text('3'));
  await writer.store.put('w', NET, TABLE, 'new', text('4'));
  await writer.store.flushed();
  const admin = client(t, [m1.clientUrl]);
  const revision = Number((await admin.get('any').exec()).header.revision);
  await admin.kv.compact({ revision: String(revision), physical: true });
  await etcd.restart(m0);
  // The reader's revision is compacted on m0 too: it cannot have resumed, only re-read.
  const probe = await client(t, [m0.clientUrl])
    .watch()
    .prefix(prefix)
    .startRevision(String(Number(before.header.revision) + 1))
    .create();
  const refused = await new Promise<Error>((resolve) => probe.once('error', resolve));
  assert.match(refused.message, /Watcher canceled/);

  await waitFor('the difference', () => onReader.events.length === 5);
  const after = onReader.events.slice(2).map((e) => [e.type, e.key, str(e.value)]);
  assert.deepEqual(
    after.sort(),
    [
      ['create', 'new', '4'],
      ['delete', 'gone', '1'],
      ['update', 'kept', '3'],
    ].sort(),
  );
});
