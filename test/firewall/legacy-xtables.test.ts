// The firewall next to iptables-legacy, without a dockerd: a private namespace whose legacy
// xtables filter table drops forwarded traffic by default, as a dockerd on iptables-legacy
// leaves it. The accepts of a network go into WASMNET-FORWARD of that table (jumped to from
// FORWARD), read back without a process; a published port adds nothing there; removal, sweeps
// and a failed batch leave nothing. Checked against `iptables-legacy -S`, not wasmnet's reader.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { test } from 'node:test';
import { NftFirewall, type OwnedRule } from '../../host/firewall/index.js';
import { readLegacyFilter } from '../../host/firewall/xtables.js';
import type { Netns } from '../../host/netlink/index.js';
import { createPrivateHost, removeWithNamespaces, uniqueId } from '../support/netns.js';
import { rootSkip } from '../support/root.js';

const skip = rootSkip || (!existsSync('/usr/sbin/iptables-legacy') && 'needs iptables-legacy');

function privateHost(t: { after(fn: () => unknown): void }): { host: Netns; legacy(...args: string[]): string } {
  const dir = `/run/wasmnet-legacy-${uniqueId()}`;
  mkdirSync(dir, { recursive: true });
  t.after(() => removeWithNamespaces(dir, [dir]));
  const host = createPrivateHost(dir, 'host');
  const legacy = (...args: string[]): string =>
    execFileSync('nsenter', [`--net=${host.path}`, 'iptables-legacy', ...args], { encoding: 'utf8' });
  return { host, legacy };
}

const forward = (operation: string, bridge: string, external = true): OwnedRule => ({
  driver: 'bridge',
  operation,
  rule: { tag: 'accept-forwarding', val: { bridge, external } },
});
const publish: OwnedRule = {
  driver: 'bridge',
  operation: 'join:e1',
  rule: {
    tag: 'publish',
    val: { bridge: 'wbr0', protocol: 'tcp', hostPort: 8080, containerIp: '10.150.0.2', containerPort: 80 },
  },
};

test('a dockerd-like legacy FORWARD drop: accepts go to its table, publishing adds none there, removal leaves nothing', {
  skip,
}, (t) => {
  const { host, legacy } = privateHost(t);
  // What dockerd on iptables-legacy leaves: policy drop, its own chains jumped to first.
  legacy('-P', 'FORWARD', 'DROP');
  legacy('-N', 'DOCKER-USER');
  legacy('-A', 'DOCKER-USER', '-j', 'RETURN');
  legacy('-A', 'FORWARD', '-j', 'DOCKER-USER');
  const firewall = new NftFirewall(() => host);
  t.after(() => firewall.close());

  firewall.add(forward('net:n1', 'wbr0'));
  firewall.add(forward('net:n1', 'wbr0'));
  firewall.add(forward('net:n2', 'wbr1', false));
  firewall.add(publish);
  const rules = legacy('-S');
  assert.match(rules, /-A FORWARD -j DOCKER-USER\n-A FORWARD -m comment --comment "wasmnet jump" -j WASMNET-FORWARD/);
  const ours = rules.split('\n').filter((line) => line.startsWith('-A WASMNET-FORWARD'));
  assert.deepEqual(
    ours,
    [
      '-A WASMNET-FORWARD -i wbr0 -m comment --comment "wasmnet bridge net:n1 forward wbr0" -j ACCEPT',
      '-A WASMNET-FORWARD -o wbr0 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment "wasmnet bridge net:n1 forward wbr0" -j ACCEPT',
      '-A WASMNET-FORWARD -o wbr0 -m conntrack --ctstate DNAT -m comment --comment "wasmnet bridge net:n1 forward wbr0" -j ACCEPT',
      '-A WASMNET-FORWARD -i wbr1 -o wbr1 -m comment --comment "wasmnet bridge net:n2 internal wbr1" -j ACCEPT',
    ],
    'added once each (the second add of n1 found it there); the published port added no accept here',
  );
  assert.deepEqual(
    firewall
      .rules()
      .map(({ operation }) => operation)
      .sort(),
    ['join:e1', 'net:n1', 'net:n2'],
    'rules() reads the legacy table too',
  );
  const read = readLegacyFilter(host);
  assert.ok(read?.forwardDrops, 'the reader sees the drop');
  assert.deepEqual([...(read?.chains ?? [])].sort(), ['DOCKER-USER', 'WASMNET-FORWARD']);
  assert.deepEqual(
    read?.rules.filter((rule) => rule.chain === 'DOCKER-USER').map((rule) => rule.number),
    [1],
    "a chain's own RETURN tail is not read as a rule; a RETURN rule is",
  );

  assert.deepEqual(firewall.sweep('net:n1'), ['wasmnet bridge net:n1 forward wbr0']);
  assert.ok(firewall.remove('bridge', forward('net:n2', 'wbr1', false).rule));
  assert.ok(firewall.remove('bridge', publish.rule));
  assert.doesNotMatch(legacy('-S'), /-A WASMNET-FORWARD/, 'no accept is left');
  assert.deepEqual(firewall.rules(), []);
  assert.match(legacy('-S', 'FORWARD'), /-P FORWARD DROP/, "the host's policy is untouched");
});

test('a legacy table that does not drop forwarding gets no rules; a missing one is not created', { skip }, (t) => {
  const { host, legacy } = privateHost(t);
  const names = () =>
    host.run(() => execFileSync('cat', ['/proc/thread-self/net/ip_tables_names'], { encoding: 'utf8' }));
  const firewall = new NftFirewall(() => host);
  t.after(() => firewall.close());
  firewall.add(forward('net:n1', 'wbr0'));
  assert.doesNotMatch(names(), /filter/, 'reading for a drop did not create the legacy filter table');
  legacy('-L', 'FORWARD');
  firewall.add(forward('net:n2', 'wbr1'));
  assert.doesNotMatch(legacy('-S'), /WASMNET/, 'a legacy FORWARD that accepts needs no rule of ours');
  assert.equal(firewall.rules().length, 2, 'both went into our own nftables table');
});

test('a batch nftables refuses takes back the legacy accepts added before it', { skip }, (t) => {
  const { host, legacy } = privateHost(t);
  legacy('-P', 'FORWARD', 'DROP');
  const firewall = new NftFirewall(() => host);
  t.after(() => firewall.close());
  firewall.add(forward('net:n1', 'wbr0'));
  // Our table goes behind the firewall's back (an admin's `nft flush ruleset`): an internal
  // network's drops, in that table, are refused after its legacy accept went in.
  host.run(() => execFileSync('nft', ['delete', 'table', 'ip', 'wasmnet']));
  assert.throws(() => firewall.add(forward('net:n2', 'wbr1', false)), /No such file or directory|ENOENT|not found/i);
  assert.doesNotMatch(legacy('-S'), /wbr1/, 'the legacy accept of the failed rule was taken back');
  assert.match(legacy('-S'), /-i wbr0/, 'the rules of others stay');
});
