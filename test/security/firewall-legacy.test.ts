// Attack: next to a FORWARD drop in iptables-legacy (as a dockerd on iptables-legacy leaves it),
// a driver names its own bridge with characters iptables-restore reads as syntax (a quote that
// would merge words into other options), then asks to accept forwarding on it: a typed 400, and
// the legacy table is as it was. The neighbour on the built-in bridge, whose accepts go into the
// legacy table, sees no failed call; the host namespace is unchanged.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { attackNetwork, buildHostile, loadHostile } from './drivers.js';
import { answerOf, assertUnharmed, machineState, namespaceState, neighbour, startDaemon } from './harness.js';
import { rootSkip } from '../support/root.js';

const skip = rootSkip || (!existsSync('/usr/sbin/iptables-legacy') && 'needs iptables-legacy');

test('a bridge name iptables-legacy would read as syntax gets no rule there; neighbour and host unaffected', {
  skip,
  timeout: 300_000,
}, async (t) => {
  const hostile = await buildHostile();
  const machineBefore = machineState();
  const daemon = await startDaemon(t, 'sec-fwl');
  const legacy = (...args: string[]): string =>
    execFileSync('nsenter', [`--net=${daemon.hostNetns}`, 'iptables-legacy', ...args], { encoding: 'utf8' });
  legacy('-P', 'FORWARD', 'DROP');
  const hostBefore = namespaceState(daemon.hostNetns);
  const steady = neighbour(daemon, '10.157.0.0/24');
  let legacyBefore = '';
  try {
    // The neighbour's network made its accepts and the jump to them: the state to keep.
    while (!legacy('-S').includes('WASMNET-FORWARD -i')) await new Promise((resolve) => setTimeout(resolve, 20));
    legacyBefore = legacy('-S');
    await loadHostile(daemon, hostile);
    await attackNetwork(daemon, 'fwl', '10.158.0.0/24', {
      attack: 'firewall',
      link: 'true',
      name: 'hs"-j"DROP',
      rule: 'forward',
    });
    await daemon.api.post('/v1/sandboxes', { containerId: 'fwl' });
    await daemon.api.post('/v1/networks/fwl/endpoints', { name: 'ep' });
    const join = daemon.api.post('/v1/networks/fwl/endpoints/ep/join', { sandbox: 'fwl' });
    assert.equal(await answerOf(join), '400 invalid-parameter');
    assert.equal(legacy('-S'), legacyBefore, 'the legacy table is as it was');
    await daemon.api.delete('/v1/networks/fwl/endpoints/ep');
    await daemon.api.delete('/v1/sandboxes/fwl');
    await daemon.api.delete('/v1/networks/fwl');
  } finally {
    await steady.stop();
  }
  assert.match(legacyBefore, /-A WASMNET-FORWARD -i /, "the neighbour's accepts were in the legacy table");
  await assertUnharmed({ daemon, steady, hostBefore, machineBefore });
});
