// Attack: the removals this issue added, used against others. Malformed force bodies; a force
// removal by a reference that matches nothing; a Docker plugin client deleting a network dockerd
// never made; a sandbox whose engine key a client swaps for a FIFO or a plain file (the sweep,
// run every 0.2 s, must neither block on it nor touch anyone else's). Each gets a typed answer;
// the neighbour on the built-in bridge never fails; the host namespace is unchanged.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { NetworkView, SandboxView } from '../../host/api/port.js';
import { createNetns, deleteNetns } from '../../host/netlink/index.js';
import { raw } from '../api/helpers.js';
import { needsRoot } from '../support/root.js';
import { answerOf, assertUnharmed, machineState, namespaceState, neighbour, startDaemon } from './harness.js';

test('force removals and the leftover sweep, used against others: typed answers, nothing else removed', {
  ...needsRoot,
  timeout: 180_000,
}, async (t) => {
  const machineBefore = machineState();
  const daemon = await startDaemon(t, 'sec-lft', ['--leftover-interval', '0.2']);
  const hostBefore = namespaceState(daemon.hostNetns);
  const steady = neighbour(daemon, '10.157.0.0/24');
  try {
    await daemon.api.post('/v1/networks', { name: 'mine', ipam: { config: [{ subnet: '10.157.1.0/24' }] } });
    await daemon.api.post('/v1/networks/mine/endpoints', { name: 'kept' });
    const del = (path: string, body: string) => raw(daemon.socket, 'DELETE', path, body).then((r) => r.status);
    assert.equal(await del('/v1/networks/mine', '{"force": "yes"}'), 400);
    assert.equal(await del('/v1/networks/mine', '{"force": true, "also": "neighbour"}'), 400);
    assert.equal(await del('/v1/networks/mine/endpoints/kept', '{"force": 1}'), 400);
    assert.equal(
      await answerOf(daemon.api.delete('/v1/networks/nothing-like-it', { force: true })),
      '404 no-such-network',
    );
    assert.equal(
      await answerOf(daemon.api.delete('/v1/networks/mine/endpoints/nothing', { force: true })),
      '404 no-such-endpoint',
    );
    const mine = await daemon.api.get<NetworkView>('/v1/networks/mine');
    assert.equal(mine.endpoints.length, 1, 'refused removals removed nothing');

    // A Docker plugin client names a network dockerd never made (ours): the plugin only removes its own.
    const plugin = join(daemon.host.dir, 'plugins', 'wasmnet.sock');
    const answer = await raw(plugin, 'POST', '/NetworkDriver.DeleteNetwork', JSON.stringify({ NetworkID: mine.id }));
    assert.deepEqual(answer.json, {});
    assert.equal((await daemon.api.get<NetworkView>('/v1/networks/mine')).endpoints.length, 1);

    // Engine keys swapped for a FIFO and for a plain file: the sweep removes those sandboxes only.
    const engine = join(daemon.host.dir, 'engine');
    for (const [name, swap] of [
      ['fifo', (path: string) => execFileSync('mkfifo', [path])],
      ['plain', (path: string) => writeFileSync(path, '')],
    ] as const) {
      const ns = createNetns(engine, name);
      await daemon.api.post('/v1/sandboxes', { containerId: `ext-${name}`, externalKey: ns.path as string });
      const ep = await daemon.api.post<{ id: string }>('/v1/networks/mine/endpoints', { name: `ep-${name}` });
      await daemon.api.post(`/v1/networks/mine/endpoints/${ep.id}/join`, { sandbox: `ext-${name}` });
      deleteNetns(ns);
      swap(ns.path as string);
      t.after(() => rmSync(ns.path as string, { force: true }));
    }
    for (let i = 0; ; i++) {
      const sandboxes = await daemon.api.get<SandboxView[]>('/v1/sandboxes');
      if (!sandboxes.some((s) => s.containerId.startsWith('ext-'))) break;
      if (i > 200) throw new Error(`not swept: ${JSON.stringify(sandboxes)}\n${daemon.logs()}`);
      await sleep(100);
    }
    const left = (await daemon.api.get<NetworkView>('/v1/networks/mine')).endpoints;
    assert.deepEqual(left, [mine.endpoints[0]], 'only the swept sandboxes went, with their endpoints');
    assert.match(daemon.logs(), /"removed leftover endpoint"/);
    await daemon.api.delete('/v1/networks/mine', { force: true });
  } finally {
    await assertUnharmed({ daemon, steady, hostBefore, machineBefore });
  }
});
