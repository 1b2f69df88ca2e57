// A stock dockerd whose rules are iptables-legacy (its PATH's `iptables` is iptables-legacy;
// defaults otherwise) in a private namespace: wasmnet finds dockerd's FORWARD drop in the legacy
// xtables table and accepts its bridges there (a chain of its own jumped to from FORWARD). Two
// containers on a wasmnet network ping each other, a published port is reachable, and removing
// the containers and the network leaves none of wasmnet's rules behind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { legacyIptablesInstalled } from './docker.js';
import { firstAnswer, HOST_IP, httpGet, OUTSIDE_IP, runHttpd } from './stock-world.js';
import { stockSkip, stockWorldPerFile } from './stock-world-per-file.js';

const skip = stockSkip || (!legacyIptablesInstalled() && 'needs iptables-legacy');
const world = stockWorldPerFile('dkl', { legacyIptables: true }, skip);

test('dockerd on iptables-legacy: containers ping, a published port is reachable, nothing is left', {
  skip,
  timeout: 240_000,
}, async () => {
  const w = world();
  const legacyRules = (): string => w.host.run('iptables-legacy', ['-S']);
  const nftRuleset = (): string => w.host.run('nft', ['list', 'ruleset']);
  assert.match(legacyRules(), /-P FORWARD DROP/, "dockerd's FORWARD drop is in the legacy table");
  assert.doesNotMatch(nftRuleset(), /table ip filter/, 'and not in nftables');
  w.network('wleg', '10.99.0.0/24');
  assert.match(legacyRules(), /-A FORWARD -m comment --comment "wasmnet jump" -j WASMNET-FORWARD/);
  w.run('la', 'wleg');
  w.run('lb', 'wleg');
  assert.ok(w.reaches('la', w.ipOf('lb')), 'la pings lb');
  assert.ok(w.reaches('lb', w.ipOf('la')), 'lb pings la');
  assert.ok(w.reaches('la', OUTSIDE_IP), 'la pings the outside namespace: forwarded and masqueraded');
  runHttpd(w, 'lweb', 'wleg', '8080:80', 'hello-legacy');
  const fromOutside = await firstAnswer(w, 'httpd through the published port', () =>
    httpGet((command, args) => w.inOutside(command, ...args), HOST_IP, 8080),
  );
  assert.match(fromOutside, /hello-legacy/, 'from the outside namespace');
  assert.match(httpGet(w.host.run.bind(w.host), HOST_IP, 8080), /hello-legacy/, 'from the host namespace');

  w.reset();
  assert.doesNotMatch(legacyRules(), /--comment "wasmnet [^j]/, 'no accept of wasmnet is left in the legacy table');
  assert.doesNotMatch(nftRuleset(), /comment "wasmnet /, 'no rule of wasmnet is left in nftables');
});
