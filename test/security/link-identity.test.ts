// Attack: a link a driver made is deleted by hand and a foreign link takes its name. Ownership
// follows the link (its index in its namespace), not its name: a join must not put a veth under
// the foreign link, and `network rm` must not delete it. The neighbour on the built-in bridge keeps working; the host namespace is
// unchanged but for the foreign link, which the test removes itself.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { ApiClientError } from '../../host/api/client.js';
import { assertUnharmed, machineState, namespaceState, neighbour, startDaemon } from './harness.js';
import { needsRoot } from '../support/root.js';

const BRIDGE = 'br-byhand0';

test("a link that took the name of a driver's link is not the driver's; neighbour and host unaffected", {
  ...needsRoot,
  timeout: 300_000,
}, async (t) => {
  const machineBefore = machineState();
  const daemon = await startDaemon(t, 'sec-identity');
  const ip = (...args: string[]): string =>
    execFileSync('nsenter', [`--net=${daemon.hostNetns}`, 'ip', ...args], { encoding: 'utf8' });
  const indexOf = (name: string): number => Number(ip('-o', 'link', 'show', 'dev', name).split(':')[0]);
  const hostBefore = namespaceState(daemon.hostNetns);
  const steady = neighbour(daemon, '10.157.0.0/24');
  try {
    await daemon.api.post('/v1/networks', {
      name: 'named',
      driver: 'bridge',
      options: { 'com.docker.network.bridge.name': BRIDGE },
      ipam: { config: [{ subnet: '10.157.1.0/24' }] },
    });
    const made = indexOf(BRIDGE);
    // By hand: the driver's bridge goes, a foreign one takes its name.
    ip('link', 'del', BRIDGE);
    ip('link', 'add', BRIDGE, 'type', 'bridge');
    const foreign = indexOf(BRIDGE);
    assert.notEqual(foreign, made);
    // A join would put its veth under the bridge: not under the foreign link that took its name.
    await daemon.api.post('/v1/sandboxes', { containerId: 'identity' });
    await daemon.api.post('/v1/networks/named/endpoints', { name: 'ep' });
    const refusal = await daemon.api.post('/v1/networks/named/endpoints/ep/join', { sandbox: 'identity' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    const enslaved = ip('-o', 'link', 'show', 'master', BRIDGE);
    // Undone before asserting, so that a failure leaves nothing joined behind.
    if (refusal === undefined) await daemon.api.post('/v1/networks/named/endpoints/ep/leave', { sandbox: 'identity' });
    await daemon.api.delete('/v1/networks/named/endpoints/ep');
    await daemon.api.delete('/v1/sandboxes/identity');
    assert.ok(refusal instanceof ApiClientError && refusal.status === 404, `the join: ${String(refusal)}`);
    assert.equal(enslaved, '', 'a veth went under the foreign link');
    await daemon.api.delete('/v1/networks/named');
    assert.equal(indexOf(BRIDGE), foreign, 'network rm deleted the foreign link');
    ip('link', 'del', BRIDGE);
  } finally {
    await steady.stop();
  }
  await assertUnharmed({ daemon, steady, hostBefore, machineBefore });
});
