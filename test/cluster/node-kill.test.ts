// A node killed with SIGKILL: within its lease's TTL the others' drivers get the delete events
// of its table entries and DiscoverDelete for it, and its claim on a global network is gone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { haveEtcd, startEtcd } from '../support/etcd.js';
import { needsRoot } from '../support/root.js';
import { nodeOptions, removeHostDir, startNode } from './nodes.js';
import { cleanupStack, killChild, startChild, uniquePrefix, waitFor } from './support.js';

const skip = needsRoot.skip || ((await haveEtcd()) ? false : 'etcd is not installed');
const TTL = 3;

test('kill -9 of a node: its entries and its node leave the others within the TTL', {
  skip,
  timeout: 180_000,
}, async (context) => {
  const t = cleanupStack(context);
  const etcd = await startEtcd({ t });
  const prefix = uniquePrefix();
  const n1 = await startNode(t, nodeOptions(etcd.endpoints, prefix, 1, TTL));
  const g1 = await n1.controller.newNetwork('globaltest', 'g1', { ipam: { config: [{ subnet: '10.74.0.0/24' }] } });
  const node9 = await startChild(t, 'node-child.js', [etcd.endpoints.join(','), prefix, '9', String(TTL)]);
  const lines = node9
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { dir?: string; endpoint?: string });
  const dir = lines.find((line) => line.dir !== undefined)?.dir as string;
  t.after(() => removeHostDir(dir));
  const endpoint = lines.find((line) => line.endpoint !== undefined)?.endpoint as string;
  await waitFor('the killed node', () =>
    n1.global.discovered.some((d) => d.call === 'new' && d.address === '192.0.2.9'),
  );
  await waitFor('its entry', () => n1.global.events.some((e) => e.event === 'create' && e.key === endpoint));
  await assert.rejects(g1.delete(), /endpoints on node node9/);

  const killedAt = Date.now();
  await killChild(node9.child);
  await waitFor(
    'its entry deleted and its node gone',
    () =>
      n1.global.events.some((e) => e.event === 'delete' && e.key === endpoint) &&
      n1.global.discovered.some((d) => d.call === 'delete' && d.address === '192.0.2.9'),
    (TTL + 10) * 1000,
  );
  const seconds = (Date.now() - killedAt) / 1000;
  assert.ok(seconds <= TTL + 1.5, `gone ${seconds.toFixed(2)} s after the kill (TTL ${TTL} s)`);
  // Its claim died with it: the network can be deleted.
  await g1.delete();
});
