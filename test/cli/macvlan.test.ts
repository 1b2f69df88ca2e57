// The macvlan driver through the CLI, against a real daemon in a private host namespace: `network
// create -d macvlan -o parent=IFACE` and two sandboxes that reach each other through that parent;
// a network with no parent, or an unknown mode, is a typed error that leaves nothing.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import type { SandboxView } from '../../host/api/port.js';
import { namespaceState, startDaemon } from '../security/harness.js';
import { needsRoot } from '../support/root.js';
import { cli } from './helpers.js';

test('network create -d macvlan -o parent=IFACE: sandboxes on it reach each other', {
  ...needsRoot,
  timeout: 120_000,
}, async (t) => {
  const daemon = await startDaemon(t, 'cli-mv');
  execFileSync('nsenter', [
    `--net=${daemon.hostNetns}`,
    'sh',
    '-ec',
    'ip link add uplink0 type veth peer name uplink0p; ip link set uplink0 up; ip link set uplink0p up',
  ]);
  const run = (...args: string[]) => cli(['--socket', daemon.socket, ...args]);
  const ok = async (...args: string[]): Promise<string> => {
    const result = await run(...args);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const hostBefore = namespaceState(daemon.hostNetns);
  const refusals: Array<[string[], RegExp]> = [
    [[], /option parent \(-o parent=IFACE\) is required/],
    [['-o', 'parent=missing0'], /parent interface missing0 does not exist/],
    [
      ['-o', 'parent=uplink0', '-o', 'macvlan_mode=l3'],
      /macvlan_mode=l3 is not one of bridge, private, vepa, passthru/,
    ],
  ];
  for (const [options, message] of refusals) {
    const result = await run('network', 'create', '-d', 'macvlan', '--subnet', '10.144.0.0/24', ...options, 'bad');
    assert.equal(result.code, 1, options.join(' '));
    assert.match(result.stderr, message);
  }
  assert.doesNotMatch(await ok('network', 'ls'), /\sbad\s/, 'no network was left');

  await ok('network', 'create', '-d', 'macvlan', '-o', 'parent=uplink0', '--subnet', '10.144.0.0/24', 'lan');
  for (const name of ['s1', 's2']) {
    await ok('sandbox', 'create', name);
    await ok('network', 'connect', 'lan', name);
  }
  const { key } = JSON.parse(await ok('sandbox', 'inspect', 's1'))[0] as SandboxView;
  execFileSync('nsenter', [`--net=${key}`, 'ping', '-c', '1', '-W', '2', '10.144.0.3'], { stdio: 'ignore' });
  assert.equal(namespaceState(daemon.hostNetns), hostBefore, 'nothing was made in the host namespace');
  for (const name of ['s1', 's2']) {
    await ok('network', 'disconnect', 'lan', name);
    await ok('sandbox', 'rm', name);
  }
  await ok('network', 'rm', 'lan');
});
