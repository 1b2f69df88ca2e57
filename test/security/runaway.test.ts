// Attack: the attacks that already held, kept holding. A driver that never returns (also one
// that loops on host imports, whose waits its deadline does not count: the call's cap stops it), one that
// traps, one that allocates until its memory cap stops it, one that deletes the host's `lo` or
// the built-in bridge's link: each fails only its own call (the deadline terminates the loop's
// worker; a trap or a memory bomb kills only its instance; a foreign link is `forbidden`). The
// neighbour on the built-in bridge sees 0 failed calls; the host namespace is unchanged.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ApiClientError } from '../../host/api/client.js';
import { needsRoot } from '../support/root.js';
import { tempDir } from '../support/temp-dir.js';
import { attackNetwork, buildHostile, loadHostile } from './drivers.js';
import { machineState, namespaceState, neighbour, startDaemon } from './harness.js';

const BUILTIN_BRIDGE = 'wnbuiltin';

test('loops, traps, memory bombs and foreign links fail only their own call; neighbour and host unaffected', {
  ...needsRoot,
  timeout: 300_000,
}, async (t) => {
  const hostile = await buildHostile();
  const machineBefore = machineState();
  // A short deadline: a loop of host imports runs for up to HOST_WAIT_FACTOR of them.
  const limits = join(tempDir(t), 'limits.json');
  writeFileSync(limits, JSON.stringify({ deadlineMs: 3_000 }));
  const daemon = await startDaemon(t, 'sec-run', ['--driver-limits', limits]);
  await daemon.api.post('/v1/networks', {
    name: 'builtin',
    options: { 'com.docker.network.bridge.name': BUILTIN_BRIDGE },
    ipam: { config: [{ subnet: '10.159.0.0/24' }] },
  });
  const hostBefore = namespaceState(daemon.hostNetns);
  const steady = neighbour(daemon, '10.159.1.0/24');
  try {
    await loadHostile(daemon, hostile);
    const attacks: Array<[string, Record<string, string>, (status: number) => boolean]> = [
      ['a loop', { attack: 'loop' }, (status) => status >= 500],
      ['a loop of host imports', { attack: 'host-loop' }, (status) => status >= 500],
      ['a trap', { attack: 'trap' }, (status) => status >= 500],
      ['a memory bomb', { attack: 'memory' }, (status) => status >= 500],
      ["the host's lo", { attack: 'foreign', value: 'lo' }, (status) => status === 403],
      ["the built-in bridge's link", { attack: 'foreign', value: BUILTIN_BRIDGE }, (status) => status === 403],
    ];
    for (const [index, [what, attack, expected]] of attacks.entries()) {
      const network = `run-${index}`;
      // After a fault the hostile component is restarted with a backoff: its next network may wait.
      for (let tries = 0; ; tries++) {
        try {
          await attackNetwork(daemon, network, `10.159.${index + 10}.0/24`, attack);
          break;
        } catch (error) {
          if (tries > 50) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
      await assert.rejects(daemon.api.post(`/v1/networks/${network}/endpoints`, { name: 'ep' }), (error: unknown) => {
        assert.ok(error instanceof ApiClientError, `${what}: ${String(error)}`);
        assert.ok(expected(error.status), `${what}: HTTP ${error.status} ${error.message}`);
        return true;
      });
    }
  } finally {
    const { lifecycles, failures } = await steady.stop();
    assert.deepEqual(failures, []);
    assert.ok(lifecycles > 0, 'the neighbour ran');
  }
  assert.equal(namespaceState(daemon.hostNetns), hostBefore);
  assert.equal(await daemon.stop(), 0);
  assert.equal(machineState(), machineBefore);
});
