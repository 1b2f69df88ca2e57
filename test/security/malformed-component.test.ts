// Attack: load files that are not driver components through the API. Each is refused with a
// typed error; the neighbour on the built-in bridge keeps working; the host namespace is unchanged.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ApiClientError } from '../../host/api/client.js';
import { needsRoot } from '../support/root.js';
import { assertUnharmed, machineState, namespaceState, neighbour, startDaemon } from './harness.js';

test('malformed components are refused with typed errors; neighbour and host unaffected', {
  ...needsRoot,
  timeout: 120_000,
}, async (t) => {
  const machineBefore = machineState();
  const daemon = await startDaemon(t, 'sec-mal');
  const hostBefore = namespaceState(daemon.hostNetns);
  const steady = neighbour(daemon, '10.151.0.0/24');
  const files: Array<[string, Uint8Array]> = [
    ['empty.wasm', new Uint8Array()],
    ['garbage.wasm', new TextEncoder().encode('not a component at all')],
    ['core-module.wasm', new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00])],
  ];
  for (const [name, bytes] of files) {
    const path = join(daemon.host.dir, name);
    writeFileSync(path, bytes);
    await assert.rejects(daemon.api.post('/v1/drivers', { path }), (error: unknown) => {
      assert.ok(error instanceof ApiClientError, String(error));
      assert.ok(error.status >= 400 && error.status < 500, `${name}: HTTP ${error.status} ${error.message}`);
      return true;
    });
  }
  await assertUnharmed({ daemon, steady, hostBefore, machineBefore });
});
