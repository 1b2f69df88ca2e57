// Attack: names and text a driver chooses. A component registering a 1 MiB name or one holding
// terminal escapes, a component file named with escapes, and a 4 MiB MAC address handed to the
// host: each is refused with a typed error whose text is a bounded, escaped excerpt; nothing
// registers; the neighbour on the built-in bridge keeps working; the host namespace is unchanged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiClientError } from '../../host/api/client.js';
import { attackNetwork, buildHostile, loadHostile } from './drivers.js';
import { assertUnharmed, machineState, namespaceState, neighbour, startDaemon } from './harness.js';
import { needsRoot } from '../support/root.js';

/** The API refused with a 4xx whose message is short and free of control characters. */
function boundedRefusal(what: string, status = 400): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof ApiClientError, `${what}: ${String(error)}`);
    assert.equal(error.status, status, `${what}: HTTP ${error.status} ${error.message.slice(0, 200)}`);
    assert.ok(error.message.length < 1024, `${what}: a ${error.message.length}-character message`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    assert.doesNotMatch(error.message, /[\u0000-\u001f\u007f-\u009f]/, `${what}: control characters in the message`);
    return true;
  };
}

test('bad driver names and huge values are refused with bounded messages; neighbour and host unaffected', {
  ...needsRoot,
  timeout: 300_000,
}, async (t) => {
  const [escapes, huge, upper, hostile] = await Promise.all([
    buildHostile("'evil\\u001b[2J\\u001b[31m'"),
    buildHostile("'x'.repeat(1 << 20)"),
    buildHostile("'Evil'"),
    buildHostile(),
  ]);
  const machineBefore = machineState();
  const daemon = await startDaemon(t, 'sec-names');
  const hostBefore = namespaceState(daemon.hostNetns);
  const steady = neighbour(daemon, '10.152.0.0/24');
  // A failed attack must not leave the neighbour running: stop() is idempotent.
  try {
    await assert.rejects(loadHostile(daemon, escapes, 'escapes.wasm'), boundedRefusal('a name with escapes'));
    await assert.rejects(loadHostile(daemon, huge, 'huge.wasm'), boundedRefusal('a 1 MiB name'));
    await assert.rejects(loadHostile(daemon, upper, 'upper.wasm'), boundedRefusal('an uppercase name'));
    await assert.rejects(
      loadHostile(daemon, hostile, 'bad\u001b[31m.wasm'),
      boundedRefusal('a file name with escapes'),
    );
    const listed = JSON.stringify(await daemon.api.get('/v1/drivers'));
    for (const owner of ['escapes', 'huge', 'upper', 'bad']) assert.doesNotMatch(listed, new RegExp(`"${owner}`));

    await loadHostile(daemon, hostile);
    await attackNetwork(daemon, 'mac', '10.152.1.0/24', { attack: 'mac', size: String(4 << 20) });
    await assert.rejects(
      daemon.api.post('/v1/networks/mac/endpoints', { name: 'ep' }),
      boundedRefusal('a 4 MiB MAC address'),
    );
    await daemon.api.delete('/v1/networks/mac');
  } finally {
    await steady.stop();
  }
  await assertUnharmed({ daemon, steady, hostBefore, machineBefore });
});
