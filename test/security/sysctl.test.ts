// Attack: a driver reaching for sysctls. Host-wide, it may only turn forwarding on (value "1"):
// turning ip-forward or ipv6-forwarding off, or giving them another value, is forbidden; per
// link, on its own bridge, a value outside what the sysctl takes is refused. The neighbour on the
// built-in bridge keeps working; the host namespace is unchanged (forwarding stays on).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { ApiClientError } from '../../host/api/client.js';
import { attackNetwork, buildHostile, loadHostile } from './drivers.js';
import { assertUnharmed, machineState, namespaceState, neighbour, startDaemon } from './harness.js';
import { needsRoot } from '../support/root.js';

test('a driver may only turn forwarding on host-wide, and set only valid values; neighbour and host unaffected', {
  ...needsRoot,
  timeout: 300_000,
}, async (t) => {
  const hostile = await buildHostile();
  const machineBefore = machineState();
  const daemon = await startDaemon(t, 'sec-sysctl');
  // Forwarding on in the private host namespace, as a host that routes for containers has it.
  for (const key of ['net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1'])
    execFileSync('nsenter', [`--net=${daemon.hostNetns}`, 'sysctl', '-qw', key]);
  const hostBefore = namespaceState(daemon.hostNetns);
  const steady = neighbour(daemon, '10.153.0.0/24');
  // A failed attack must not leave the neighbour running: stop() is idempotent.
  try {
    await loadHostile(daemon, hostile);

    const attacks: Array<[string, Record<string, string>, number]> = [
      ['ip-forward off host-wide', { sysctl: 'ip-forward', value: '0' }, 403],
      ['ip-forward 2 host-wide', { sysctl: 'ip-forward', value: '2' }, 403],
      ['ipv6-forwarding off host-wide', { sysctl: 'ipv6-forwarding', value: '0' }, 403],
      ['rp-filter host-wide', { sysctl: 'rp-filter', value: '0' }, 403],
      ['rp-filter 7 on its bridge', { sysctl: 'rp-filter', value: '7', link: 'true' }, 400],
      ['accept-ra 3 on its bridge', { sysctl: 'accept-ra', value: '3', link: 'true' }, 400],
      ['proxy-arp -1 on its bridge', { sysctl: 'proxy-arp', value: '-1', link: 'true' }, 400],
    ];
    for (const [index, [what, attack, status]] of attacks.entries()) {
      const network = `sysctl-${index}`;
      await attackNetwork(daemon, network, `10.153.${index + 1}.0/24`, { attack: 'sysctl', ...attack });
      await assert.rejects(daemon.api.post(`/v1/networks/${network}/endpoints`, { name: 'ep' }), (error: unknown) => {
        assert.ok(error instanceof ApiClientError, `${what}: ${String(error)}`);
        assert.equal(error.status, status, `${what}: HTTP ${error.status} ${error.message}`);
        return true;
      });
      await daemon.api.delete(`/v1/networks/${network}`);
    }
    // Asking for forwarding on is allowed (it is on already: nothing changes).
    await attackNetwork(daemon, 'sysctl-on', '10.153.100.0/24', { attack: 'sysctl', sysctl: 'ip-forward', value: '1' });
    await daemon.api.post('/v1/networks/sysctl-on/endpoints', { name: 'ep' });
    await daemon.api.delete('/v1/networks/sysctl-on/endpoints/ep');
    await daemon.api.delete('/v1/networks/sysctl-on');
  } finally {
    await steady.stop();
  }
  await assertUnharmed({ daemon, steady, hostBefore, machineBefore });
});
