// Attack: a driver asking the host's firewall for rules it must not have. On a bridge of the
// built-in driver, masquerading 0.0.0.0/0 or another network's subnet, publishing a host port
// the built-in bridge already publishes, port 0, or any rule outside CreateNetwork, Join and
// ProgramExternalConnectivity: each a typed 4xx error. The neighbour on the built-in bridge sees
// no failed call; the host namespace (links, addresses, routes, sysctls, nftables ruleset) is
// unchanged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildHostile, loadHostile, refusedAttack } from './drivers.js';
import { assertUnharmed, machineState, namespaceState, neighbour, refusal, startDaemon } from './harness.js';
import { needsRoot } from '../support/root.js';

const PUBLISHED_BRIDGE = 'wnpub';
const PUBLISHED_SUBNET = '10.154.0.0/24';
const PUBLISHED_PORT = 8080;

test('a driver gets no firewall rule on what it does not own, nor outside its calls; neighbour and host unaffected', {
  ...needsRoot,
  timeout: 300_000,
}, async (t) => {
  const hostile = await buildHostile();
  const machineBefore = machineState();
  const daemon = await startDaemon(t, 'sec-fw');
  // A network of the built-in bridge that publishes a port: what the attacks reach for.
  await daemon.api.post('/v1/networks', {
    name: 'pub',
    options: { 'com.docker.network.bridge.name': PUBLISHED_BRIDGE },
    ipam: { config: [{ subnet: PUBLISHED_SUBNET }] },
  });
  const portMap = [{ Proto: 6, IP: '', Port: 80, HostIP: '', HostPort: PUBLISHED_PORT, HostPortEnd: PUBLISHED_PORT }];
  await daemon.api.post('/v1/sandboxes', {
    containerId: 'web',
    options: { 'com.docker.network.portmap': JSON.stringify(portMap) },
  });
  await daemon.api.post('/v1/networks/pub/endpoints', { name: 'web' });
  await daemon.api.post('/v1/networks/pub/endpoints/web/join', { sandbox: 'web' });
  const hostBefore = namespaceState(daemon.hostNetns);
  assert.match(hostBefore, /"dnat"/, 'the port is published');
  const steady = neighbour(daemon, '10.155.0.0/24');
  try {
    await loadHostile(daemon, hostile);
    const own = { attack: 'firewall', link: 'true' };
    const attacks: Array<[string, Record<string, string>, number, RegExp]> = [
      ['forwarding on the built-in bridge', { ...own, rule: 'forward', bridge: PUBLISHED_BRIDGE }, 403, /belongs to/],
      ['masquerade of 0.0.0.0/0', { ...own, rule: 'masquerade', subnet: '0.0.0.0/0' }, 403, /not inside a pool/],
      ['masquerade of the neighbour subnet', { ...own, rule: 'masquerade', subnet: PUBLISHED_SUBNET }, 403, /pool/],
      ['a host port already published', { ...own, rule: 'publish', port: String(PUBLISHED_PORT) }, 403, /already/],
      ['host port 0', { ...own, rule: 'publish', port: '0' }, 400, /1\.\.65535/],
      ['a rule in CreateEndpoint', { ...own, rule: 'forward', phase: 'endpoint' }, 403, /while serving/],
    ];
    for (const [index, [what, attack, status, message]] of attacks.entries()) {
      const stage = attack.phase === 'endpoint' ? 'endpoint' : 'join';
      await refusedAttack(daemon, `fw-${index}`, `10.156.${index}.0/24`, attack, stage, refusal(status, message, what));
    }
  } finally {
    await steady.stop();
  }
  await assertUnharmed({ daemon, steady, hostBefore, machineBefore });
});
