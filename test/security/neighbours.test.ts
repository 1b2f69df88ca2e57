// Attack: a driver programs neighbour and FDB entries on links it does not own: the host's `lo`,
// a link no driver made (as the host's eth0), the overlay driver's VXLAN device (where it could
// redirect a peer's traffic to a VTEP of its choosing, or delete a peer) and the neighbour's
// bridge. Each is refused as forbidden and changes nothing; on its own bridge the same requests
// work. The neighbour on the built-in bridge keeps working; the host namespace is unchanged.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { attackNetwork, buildHostile, loadHostile } from './drivers.js';
import { answerOf, assertUnharmed, machineState, namespaceState, neighbour, startDaemon } from './harness.js';
import { needsRoot } from '../support/root.js';

/** What the test put on the overlay's VXLAN device itself, standing for a peer the overlay programmed. */
const PEER = { ip: '10.158.1.99', mac: '02:42:0a:9e:01:63', vtep: '192.0.2.77' };

test('a driver programs neighbours and FDB entries only on its own links; neighbour and host unaffected', {
  ...needsRoot,
  timeout: 300_000,
}, async (t) => {
  const hostile = await buildHostile();
  const machineBefore = machineState();
  const daemon = await startDaemon(t, 'sec-neigh');
  const hostBefore = namespaceState(daemon.hostNetns);
  const run = (command: string, ...args: string[]): string =>
    execFileSync('nsenter', [`--net=${daemon.hostNetns}`, command, ...args], { encoding: 'utf8' });
  /** The namespace's neighbour and FDB entries, on `links` (all when none). */
  const entries = (...links: string[]): string => {
    const of = (listed: string): string[] =>
      listed
        .split('\n')
        .filter((line) => line !== '' && (links.length === 0 || links.some((l) => line.includes(`dev ${l} `))));
    return JSON.stringify({ neigh: of(run('ip', 'neigh', 'show')), fdb: of(run('bridge', 'fdb', 'show')) });
  };
  run('ip', 'link', 'add', 'uplink0', 'type', 'bridge');
  const steady = neighbour(daemon, '10.158.0.0/24');
  try {
    await loadHostile(daemon, hostile);
    const overlay = (await daemon.api.post('/v1/networks', {
      name: 'ov',
      driver: 'overlay',
      ipam: { config: [{ subnet: '10.158.1.0/24' }] },
    })) as { id: string };
    const vxlan = `vx-${overlay.id.slice(0, 12)}`;
    run('ip', 'neigh', 'add', PEER.ip, 'lladdr', PEER.mac, 'dev', vxlan, 'nud', 'permanent');
    run('bridge', 'fdb', 'add', PEER.mac, 'dev', vxlan, 'dst', PEER.vtep, 'self', 'permanent');
    let neighbourBridge: string | undefined;
    while (neighbourBridge === undefined) {
      const networks = (await daemon.api.get('/v1/networks')) as Array<{ name: string; id: string }>;
      const found = networks.find((n) => n.name.startsWith('neighbour-'));
      if (found !== undefined) neighbourBridge = `br-${found.id.slice(0, 12)}`;
      else await sleep(20);
    }
    const targets = ['lo', 'uplink0', vxlan];
    const before = entries(...targets);

    const attacks: Array<[string, Record<string, string>]> = [];
    for (const link of [...targets, neighbourBridge]) {
      attacks.push(
        [`neighbour on ${link}`, { attack: 'neigh', value: link }],
        [`FDB entry to a VTEP on ${link}`, { attack: 'fdb', value: link, vtep: '192.0.2.66' }],
        [`delete a neighbour on ${link}`, { attack: 'neigh', op: 'del', value: link, ...PEER }],
        [`delete an FDB entry on ${link}`, { attack: 'fdb', op: 'del', value: link, mac: PEER.mac, vtep: PEER.vtep }],
      );
    }
    // Redirect the overlay's peer to another VTEP (a replace of its FDB entry).
    attacks.push(['redirect the peer', { attack: 'fdb', value: vxlan, mac: PEER.mac, vtep: '192.0.2.66' }]);
    const answers: string[] = [];
    for (const [n, [what, attack]] of attacks.entries()) {
      await attackNetwork(daemon, `neigh-${n}`, `10.158.${10 + n}.0/24`, attack);
      const answer = await answerOf(daemon.api.post(`/v1/networks/neigh-${n}/endpoints`, { name: 'ep' }));
      if (answer === 'ok') await daemon.api.delete(`/v1/networks/neigh-${n}/endpoints/ep`);
      answers.push(`${what}: ${answer}`);
      await daemon.api.delete(`/v1/networks/neigh-${n}`);
    }
    assert.deepEqual(
      answers,
      attacks.map(([what]) => `${what}: 403 forbidden`),
    );
    assert.equal(entries(...targets), before, 'no entry changed on the links the driver does not own');
    assert.doesNotMatch(entries(), /02:42:de:ad:be:ef|192\.0\.2\.66/, 'nothing of the attacker anywhere');

    // The same requests on the driver's own bridge work (the attack is real).
    await attackNetwork(daemon, 'own', '10.158.9.0/24', { attack: 'neigh', link: 'true' });
    await daemon.api.post('/v1/networks/own/endpoints', { name: 'ep' });
    await attackNetwork(daemon, 'own-fdb', '10.158.8.0/24', { attack: 'fdb', link: 'true' });
    await daemon.api.post('/v1/networks/own-fdb/endpoints', { name: 'ep' });
    assert.match(entries(), /10\.254\.0\.9 dev hs-\S+ lladdr 02:42:de:ad:be:ef PERMANENT/);
    assert.match(entries(), /02:42:de:ad:be:ef dev hs-\S+ [^"]*permanent/);
    for (const name of ['own', 'own-fdb']) {
      await daemon.api.delete(`/v1/networks/${name}/endpoints/ep`);
      await daemon.api.delete(`/v1/networks/${name}`);
    }
    run('ip', 'neigh', 'del', PEER.ip, 'dev', vxlan);
    run('bridge', 'fdb', 'del', PEER.mac, 'dev', vxlan, 'dst', PEER.vtep, 'self');
    await daemon.api.delete('/v1/networks/ov');
    run('ip', 'link', 'del', 'uplink0');
  } finally {
    await steady.stop();
  }
  await assertUnharmed({ daemon, steady, hostBefore, machineBefore });
});
