// Attack: networks and endpoints that must not be made (#17 item 15): a second network on a
// subnet in use, a subnet holding one of the host's own addresses, a /32 subnet, a MAC already
// taken on the network, an endpoint on a network deleted meanwhile. Each gets a typed answer and
// leaves nothing behind; the neighbour on the built-in bridge never fails.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { needsRoot } from '../support/root.js';
import { answerOf, machineState, namespaceState, neighbour, startDaemon } from './harness.js';

test('overlapping, host-holding and one-address subnets, taken MACs, deleted networks: typed answers', {
  ...needsRoot,
  timeout: 180_000,
}, async (t) => {
  const machineBefore = machineState();
  const daemon = await startDaemon(t, 'sec-nets');
  // An address of the host's own, on a link no driver made (a veth pair in the private host namespace).
  const ip = (...args: string[]) => execFileSync('nsenter', [`--net=${daemon.hostNetns}`, 'ip', ...args]);
  ip('link', 'add', 'uplink0', 'type', 'veth', 'peer', 'name', 'uplink1');
  ip('addr', 'add', '10.158.9.7/24', 'dev', 'uplink0');
  const hostBefore = namespaceState(daemon.hostNetns);
  const steady = neighbour(daemon, '10.158.0.0/24');
  try {
    const network = (name: string, subnet: string) =>
      daemon.api.post('/v1/networks', { name, driver: 'bridge', ipam: { config: [{ subnet }] } });
    await network('first', '10.158.1.0/24');
    assert.equal(await answerOf(network('second', '10.158.1.0/24')), '403 ErrPoolOverlap');
    assert.equal(await answerOf(network('inside', '10.158.1.128/25')), '403 ErrPoolOverlap');
    assert.equal(await answerOf(network('hostly', '10.158.9.0/24')), '403 host-address');
    assert.equal(await answerOf(network('single', '10.158.2.1/32')), '400 invalid-parameter');

    const mac = '02:42:0a:9e:01:07';
    await daemon.api.post('/v1/networks/first/endpoints', { name: 'a', macAddress: mac });
    assert.equal(
      await answerOf(daemon.api.post('/v1/networks/first/endpoints', { name: 'b', macAddress: mac.toUpperCase() })),
      '403 mac-in-use',
    );
    await daemon.api.delete('/v1/networks/first/endpoints/a');

    // An endpoint racing its network's delete: created first, or told the network is gone (never a 400).
    const [created, deleted] = await Promise.all([
      answerOf(daemon.api.post('/v1/networks/first/endpoints', { name: 'late' })),
      answerOf(daemon.api.delete('/v1/networks/first')),
    ]);
    assert.ok(
      (created === 'ok' && deleted === '409 active-endpoints') ||
        (created === '404 no-such-network' && deleted === 'ok'),
      `create ${created}, delete ${deleted}`,
    );
    if (created === 'ok') {
      await daemon.api.delete('/v1/networks/first/endpoints/late');
      await daemon.api.delete('/v1/networks/first');
    }
    assert.deepEqual(
      (await daemon.api.get<Array<{ name: string }>>('/v1/networks'))
        .map((n) => n.name)
        .filter((n) => n !== `neighbour-${process.pid}`),
      [],
      'no network was left half-made',
    );
  } finally {
    const { lifecycles, failures } = await steady.stop();
    assert.deepEqual(failures, []);
    assert.ok(lifecycles > 0, 'the neighbour ran');
  }
  assert.equal(namespaceState(daemon.hostNetns), hostBefore);
  ip('link', 'del', 'uplink0');
  assert.equal(await daemon.stop(), 0);
  assert.equal(machineState(), machineBefore);
});
