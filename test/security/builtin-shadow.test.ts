// Attack: a file named after a built-in driver dropped into the drivers directory. `bridge.wasm`
// (a hostile component registering "bridge") must not be taken as an upgrade of the built-in
// bridge: it is refused and logged, and removing it does not unload the built-in. The neighbour
// on the built-in bridge keeps working throughout; the host namespace is unchanged.
import assert from 'node:assert/strict';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { buildHostile } from './drivers.js';
import { assertUnharmed, machineState, namespaceState, neighbour, startDaemon } from './harness.js';
import { needsRoot } from '../support/root.js';

test('a file cannot replace a built-in driver, nor remove it; neighbour and host unaffected', {
  ...needsRoot,
  timeout: 300_000,
}, async (t) => {
  const impostor = await buildHostile("'bridge'");
  const machineBefore = machineState();
  const daemon = await startDaemon(t, 'sec-shadow');
  const hostBefore = namespaceState(daemon.hostNetns);
  const drivers = async (): Promise<unknown> => daemon.api.get('/v1/drivers');
  const listed = await drivers();
  const steady = neighbour(daemon, '10.156.0.0/24');
  try {
    await sleep(500);
    const staged = join(daemon.host.dir, 'bridge.wasm');
    writeFileSync(staged, impostor);
    renameSync(staged, join(daemon.driversDir, 'bridge.wasm'));
    for (let i = 0; !daemon.logs().includes('bridge.wasm is ignored'); i++) {
      assert.ok(i < 100, `the refusal was not logged; logs:\n${daemon.logs()}`);
      await sleep(100);
    }
    await sleep(1_000);
    assert.deepEqual(await drivers(), listed, 'the built-in bridge was replaced');
    rmSync(join(daemon.driversDir, 'bridge.wasm'));
    await sleep(1_000);
    assert.deepEqual(await drivers(), listed, 'removing the file unloaded the built-in bridge');
  } finally {
    await steady.stop();
  }
  await assertUnharmed({ daemon, steady, hostBefore, machineBefore });
});
