// Attack: a driver whose calls fail after making things. What a failed CreateNetwork or
// CreateEndpoint created goes with the failure (links, the parent grant of the network's
// options), and no driver owns more links than its limit. The neighbour on the built-in bridge
// keeps working; the host namespace is unchanged.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { attackNetwork, buildHostile, loadHostile } from './drivers.js';
import { assertUnharmed, machineState, namespaceState, neighbour, refusal, startDaemon } from './harness.js';
import { needsRoot } from '../support/root.js';

const MAX_LINKS = 40;

/** The links the hostile driver makes (hostile.as: `h<i>-…`, `hm-…`) in the namespace at `path`. */
function hostileLinks(path: string): string[] {
  const names = execFileSync('nsenter', [`--net=${path}`, 'ip', '-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(': ')[1]?.split('@')[0] ?? '');
  return names.filter((name) => /^h(\d+|m)-/.test(name));
}

test('what a failed call made is removed, its grants revoked, links capped; neighbour and host unaffected', {
  ...needsRoot,
  timeout: 300_000,
}, async (t) => {
  const hostile = await buildHostile();
  const machineBefore = machineState();
  const limits = join(await import('node:os').then((os) => os.tmpdir()), `sec-failed-${process.pid}.json`);
  writeFileSync(limits, JSON.stringify({ maxLinksByOwner: { hostile: MAX_LINKS } }));
  t.after(() => execFileSync('rm', ['-f', limits]));
  const daemon = await startDaemon(t, 'sec-failed', ['--driver-limits', limits]);
  // A link no driver made (as the host's eth0 is), which a network's options may name as parent.
  execFileSync('nsenter', [`--net=${daemon.hostNetns}`, 'ip', 'link', 'add', 'uplink0', 'type', 'bridge']);
  const hostBefore = namespaceState(daemon.hostNetns);
  const steady = neighbour(daemon, '10.155.0.0/24');
  try {
    await loadHostile(daemon, hostile);
    // CreateNetwork makes links, then fails: the network is refused and its links are gone.
    await assert.rejects(
      attackNetwork(daemon, 'failed-net', '10.155.1.0/24', { attack: 'links', stage: 'network', count: '30' }),
      refusal(500),
    );
    assert.deepEqual(hostileLinks(daemon.hostNetns), [], 'the failed CreateNetwork left links');
    // CreateEndpoint alike.
    await attackNetwork(daemon, 'failed-ep', '10.155.2.0/24', { attack: 'links', count: '30' });
    await assert.rejects(daemon.api.post('/v1/networks/failed-ep/endpoints', { name: 'ep' }), refusal(500));
    assert.deepEqual(hostileLinks(daemon.hostNetns), [], 'the failed CreateEndpoint left links');
    await daemon.api.delete('/v1/networks/failed-ep');
    // Past its link limit, a driver is refused with a typed error; what it made goes too.
    await attackNetwork(daemon, 'many', '10.155.3.0/24', { attack: 'links', count: String(MAX_LINKS + 1) });
    await assert.rejects(
      daemon.api.post('/v1/networks/many/endpoints', { name: 'ep' }),
      refusal(403, /limit is 40 \(driver limit maxLinks\)/),
    );
    assert.deepEqual(hostileLinks(daemon.hostNetns), [], 'the links of the refused call stayed');
    await daemon.api.delete('/v1/networks/many');
    // A network naming a parent whose CreateNetwork failed leaves no grant: a later network
    // that does not name it may not use it.
    await assert.rejects(
      attackNetwork(daemon, 'parent-net', '10.155.4.0/24', {
        attack: 'links',
        stage: 'network',
        count: '0',
        parent: 'uplink0',
      }),
      refusal(500),
    );
    await attackNetwork(daemon, 'no-parent', '10.155.5.0/24', { attack: 'macvlan', value: 'uplink0' });
    await assert.rejects(
      daemon.api.post('/v1/networks/no-parent/endpoints', { name: 'ep' }),
      refusal(403, /may not parent link uplink0/),
    );
    await daemon.api.delete('/v1/networks/no-parent');
  } finally {
    await steady.stop();
  }
  await assertUnharmed({ daemon, steady, hostBefore, machineBefore });
});
