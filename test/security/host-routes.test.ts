// Attack: a driver hijacking the host's traffic through its own bridge. In the host namespace,
// the addresses and routes it adds must lie inside its networks' pools: a default route, halves
// of the IPv4 space, loopback, link-local and host-wide prefixes are forbidden, IPv6 alike; its
// gateway address and a route to its subnet are allowed. The neighbour on the built-in bridge
// keeps working; the host namespace is unchanged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiClientError } from '../../host/api/client.js';
import { attackNetwork, buildHostile, loadHostile } from './drivers.js';
import { assertUnharmed, machineState, namespaceState, neighbour, startDaemon } from './harness.js';
import { needsRoot } from '../support/root.js';

test('a driver adds addresses and routes in the host namespace only inside its pools; neighbour and host unaffected', {
  ...needsRoot,
  timeout: 300_000,
}, async (t) => {
  const hostile = await buildHostile();
  const machineBefore = machineState();
  const daemon = await startDaemon(t, 'sec-routes');
  const hostBefore = namespaceState(daemon.hostNetns);
  const steady = neighbour(daemon, '10.154.0.0/24');
  try {
    await loadHostile(daemon, hostile);
    const refused: Array<[string, Record<string, string>]> = [
      ['the default route', { attack: 'route', cidr: 'default' }],
      ['0.0.0.0/1', { attack: 'route', cidr: '0.0.0.0/1' }],
      ['128.0.0.0/1', { attack: 'route', cidr: '128.0.0.0/1' }],
      ['the neighbour subnet', { attack: 'route', cidr: '10.154.0.0/24' }],
      ['link-local routes', { attack: 'route', cidr: '169.254.0.0/16' }],
      ['IPv6 half', { attack: 'route', cidr: '::/1' }],
      ['IPv6 default', { attack: 'route', cidr: '::/0' }],
      ['a loopback address', { attack: 'address', cidr: '127.0.0.1/8' }],
      ['another network address', { attack: 'address', cidr: '10.154.0.1/24' }],
      ['IPv6 loopback', { attack: 'address', cidr: '::1/128' }],
      ['IPv6 link-local', { attack: 'address', cidr: 'fe80::1/64' }],
    ];
    for (const [index, [what, attack]] of refused.entries()) {
      const network = `routes-${index}`;
      await attackNetwork(daemon, network, `10.154.${index + 1}.0/24`, { ...attack, link: 'true' });
      await assert.rejects(daemon.api.post(`/v1/networks/${network}/endpoints`, { name: 'ep' }), (error: unknown) => {
        assert.ok(error instanceof ApiClientError, `${what}: ${String(error)}`);
        assert.equal(error.status, 403, `${what}: HTTP ${error.status} ${error.message}`);
        return true;
      });
      await daemon.api.delete(`/v1/networks/${network}`);
    }
    // Inside its own pool: its gateway address, then a route to a part of its subnet.
    for (const [index, attack] of [
      { attack: 'address', cidr: '10.154.100.1/24' },
      { attack: 'route', cidr: '10.154.100.128/25' },
    ].entries()) {
      const network = `routes-ok-${index}`;
      await attackNetwork(daemon, network, '10.154.100.0/24', { ...attack, link: 'true' });
      await daemon.api.post(`/v1/networks/${network}/endpoints`, { name: 'ep' });
      await daemon.api.delete(`/v1/networks/${network}/endpoints/ep`);
      await daemon.api.delete(`/v1/networks/${network}`);
    }
  } finally {
    await steady.stop();
  }
  await assertUnharmed({ daemon, steady, hostBefore, machineBefore });
});
