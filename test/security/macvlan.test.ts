// Attack: a driver creating macvlans it must not. On a parent its network's options do not name,
// or inside a sandbox it is not joining (a macvlan network's container, here), or reading a host
// link no option names: each a typed 403, nothing made. The same macvlan on the named parent into
// the sandbox it joins is made, and goes with the leave. The built-in macvlan network's
// containers keep reaching each other, the neighbour on the built-in bridge sees no failed call,
// and the host namespace is unchanged.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { attackNetwork, buildHostile, loadHostile, refusedAttack } from './drivers.js';
import { assertUnharmed, machineState, namespaceState, neighbour, refusal, startDaemon } from './harness.js';
import { ping } from '../controller/fixtures.js';
import { ipJson } from '../support/netns.js';
import { needsRoot } from '../support/root.js';

const links = (key: string): string[] => ipJson<Array<{ ifname: string }>>(key, 'link').map((link) => link.ifname);

test('a driver makes no macvlan on a parent not named, nor in a sandbox it is not joining; others unaffected', {
  ...needsRoot,
  timeout: 300_000,
}, async (t) => {
  const hostile = await buildHostile();
  const machineBefore = machineState();
  const daemon = await startDaemon(t, 'sec-mv');
  // Two links no driver made, as a host's NICs: the hostile networks name uplink0 only.
  for (const uplink of ['uplink0', 'uplink1']) {
    const run = (...args: string[]) => execFileSync('nsenter', [`--net=${daemon.hostNetns}`, 'ip', 'link', ...args]);
    run('add', uplink, 'type', 'veth', 'peer', 'name', `${uplink}p`);
    run('set', uplink, 'up');
    run('set', `${uplink}p`, 'up');
  }
  // The victims: two containers of the built-in macvlan driver on uplink1.
  await daemon.api.post('/v1/networks', {
    name: 'lan',
    driver: 'macvlan',
    options: { parent: 'uplink1' },
    ipam: { config: [{ subnet: '10.158.0.0/24' }] },
  });
  const victims: string[] = [];
  for (const name of ['v1', 'v2']) {
    victims.push((await daemon.api.post<{ key: string }>('/v1/sandboxes', { containerId: name })).key);
    await daemon.api.post('/v1/networks/lan/endpoints', { name });
    await daemon.api.post(`/v1/networks/lan/endpoints/${name}/join`, { sandbox: name });
  }
  const [victim, other] = victims as [string, string];
  assert.ok(ping(victim, '10.158.0.3'), 'the victims reach each other before the attack');
  const hostBefore = namespaceState(daemon.hostNetns);
  const steady = neighbour(daemon, '10.157.0.0/24');
  try {
    await loadHostile(daemon, hostile);
    const named = { attack: 'macvlan', parent: 'uplink0' };
    const attacks: Array<[string, Record<string, string>, 'endpoint' | 'join', RegExp]> = [
      [
        'a parent the options do not name',
        { ...named, value: 'uplink1', into: 'joined' },
        'join',
        /parent link uplink1/,
      ],
      ['a sandbox it is not joining', { ...named, value: 'uplink0', into: victim }, 'join', /not joining that sandbox/],
      [
        'reading a link the options do not name',
        { attack: 'read', parent: 'uplink0', value: 'uplink1' },
        'endpoint',
        /read link uplink1/,
      ],
      ['reading a link with no parent named', { attack: 'read', value: 'uplink0' }, 'endpoint', /read link uplink0/],
    ];
    for (const [index, [what, attack, stage, message]] of attacks.entries()) {
      await refusedAttack(
        daemon,
        `mv-${index}`,
        `10.159.${index}.0/24`,
        attack,
        stage,
        refusal(403, message, what),
        (key) => assert.deepEqual(links(key), ['lo'], `${what}: nothing in the attacker's sandbox`),
      );
    }
    // The control: the named parent, into the sandbox it joins, is allowed; the leave removes it.
    await attackNetwork(daemon, 'mv-ok', '10.159.9.0/24', { ...named, value: 'uplink0', into: 'joined' });
    const { key } = await daemon.api.post<{ key: string }>('/v1/sandboxes', { containerId: 'mv-ok' });
    await daemon.api.post('/v1/networks/mv-ok/endpoints', { name: 'ep' });
    await daemon.api.post('/v1/networks/mv-ok/endpoints/ep/join', { sandbox: 'mv-ok' });
    assert.equal(links(key).filter((name) => name.startsWith('hm-')).length, 1, 'the allowed macvlan is made');
    await daemon.api.post('/v1/networks/mv-ok/endpoints/ep/leave', { sandbox: 'mv-ok' });
    assert.deepEqual(links(key), ['lo'], 'the leave removed it');
    await daemon.api.delete('/v1/networks/mv-ok/endpoints/ep');
    await daemon.api.delete('/v1/sandboxes/mv-ok');
    await daemon.api.delete('/v1/networks/mv-ok');
  } finally {
    await steady.stop();
  }
  assert.deepEqual(links(victim), ['lo', 'eth0'], "nothing was added to the victim's sandbox");
  assert.ok(ping(victim, '10.158.0.3'), 'the victims still reach each other');
  assert.ok(ping(other, '10.158.0.2'));
  await assertUnharmed({ daemon, steady, hostBefore, machineBefore });
});
