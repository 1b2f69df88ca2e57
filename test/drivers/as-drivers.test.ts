import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Forbidden, type Driver } from '../../host/drivers/index.js';
import { buildAsFixture } from './as-fixtures.js';
import { makeRuntime, steadyStream } from './harness.js';

test('SDK-built drivers: a well-behaved one keeps serving while a rogue one traps, hangs, hoards memory, returns huge strings and reaches for links it does not own', async () => {
  const [bridgy, rogue] = [await buildAsFixture('bridgy'), await buildAsFixture('rogue')];
  // No backoff: each misbehaviour below is a consecutive fault and must reach the guest.
  const { runtime, plumbing } = makeRuntime({ deadlineMs: 1000, backoffMs: 0 });
  const driver = (name: string): Driver => runtime.registry.driver(name)!.driver;
  try {
    await runtime.load('bridgy', bridgy);
    await runtime.load('rogue', rogue);

    const good = driver('bridgy');
    assert.equal(good.type(), 'bridgy');
    await good.createNetwork('net1', [], [], []);
    const joined = await good.join('net1', 'ep1', 'sb1', []);
    assert.deepEqual(joined.names, { srcName: 'tmpep1', dstPrefix: 'eth' });
    await good.leave('net1', 'ep1');
    assert.deepEqual(
      plumbing.calls.map((c) => `${c.op} ${c.args[0].tag}`),
      ['linkAdd host', 'linkAdd host', 'linkDel host'],
    );
    assert.equal(runtime.ownership.registry.owner({ tag: 'host' }, 'br-net1'), 'bridgy');
    assert.equal(runtime.ownership.registry.owner({ tag: 'sandbox', val: 'sb1' }, 'tmpep1'), 'bridgy');

    const steady = steadyStream(() => driver('bridgy'));
    const bad = driver('rogue');
    const stream = { tag: 'datastore-config' as const, val: [] };
    await assert.rejects(bad.networkFree('n'), /networkFree trapped/);
    await assert.rejects(bad.discoverDelete(stream), /discoverDelete exceeded its 1000 ms deadline/);
    await assert.rejects(bad.discoverNew(stream), /discoverNew ran out of memory \(cap 64 MiB\)/);
    await assert.rejects(
      bad.decodeTableEntry('t', 'k', new Uint8Array()),
      /over the 1048576-byte limit|ran out of memory/,
    );
    for (const link of ['lo', 'eth0', 'br-net1']) {
      await assert.rejects(
        bad.programExternalConnectivity('n', link, []),
        (error: Error) => error instanceof Forbidden && error.message.includes(`link ${link}`),
      );
    }
    await assert.rejects(bad.revokeExternalConnectivity('sb1', 'tmpep1'), /not joining that sandbox/);
    assert.equal(plumbing.calls.length, 3, 'the rogue reached no plumbing');
    assert.equal(bad.type(), 'rogue');

    const { ok, failures } = await steady.stop();
    assert.deepEqual(failures, []);
    assert.ok(ok > 0);
    assert.deepEqual(await good.endpointOperInfo('net1', 'ep1'), [['bridge', 'br-net1']]);
  } finally {
    await runtime.close();
  }
});
