// Published ports and firewall options through the CLI, against a real daemon in a private host
// namespace: `network connect --publish` publishes (nftables rules in that namespace), `sandbox
// ls` and `sandbox inspect` show the ports, `network create -o` turns ICC and masquerade off.
// Refused: a port already published, 0 or 70000, a port on an internal network, a join that is
// not the gateway endpoint; each a typed error that leaves the host and the networks unchanged.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import type { NetworkView, SandboxView } from '../../host/api/port.js';
import { type Daemon, namespaceState, startDaemon } from '../security/harness.js';
import { needsRoot } from '../support/root.js';
import { cli } from './helpers.js';

function wasmnet(daemon: Daemon): (...args: string[]) => ReturnType<typeof cli> {
  return (...args) => cli(['--socket', daemon.socket, ...args]);
}

const ruleset = (daemon: Daemon): string =>
  execFileSync('nsenter', [`--net=${daemon.hostNetns}`, 'nft', 'list', 'ruleset'], { encoding: 'utf8' });

test('network connect --publish publishes; sandbox ls and inspect show it; refusals leave nothing', {
  ...needsRoot,
  timeout: 180_000,
}, async (t) => {
  const daemon = await startDaemon(t, 'cli-pub');
  const run = wasmnet(daemon);
  const ok = async (...args: string[]): Promise<string> => {
    const result = await run(...args);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  await ok('network', 'create', '--subnet', '10.141.0.0/24', 'pub');
  await ok('network', 'create', '--subnet', '10.142.0.0/24', '--internal', 'int');
  await ok('network', 'create', '--subnet', '10.143.0.0/24', 'zzz');
  await ok('sandbox', 'create', 's1');
  await ok('sandbox', 'create', 's2');
  await ok('network', 'connect', '--publish', '8080:80', '-p', '127.0.0.1:5353:53/udp', 'pub', 's1');

  assert.match(await ok('sandbox', 'ls'), /\ss1\s.*\s1\s+8080->80\/tcp,127\.0\.0\.1:5353->53\/udp\n/);
  const [inspected] = JSON.parse(await ok('sandbox', 'inspect', 's1')) as SandboxView[];
  assert.deepEqual(inspected?.ports, [
    { protocol: 'tcp', hostPort: 8080, containerPort: 80 },
    { protocol: 'udp', hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53 },
  ]);
  assert.match(ruleset(daemon), /tcp dport 8080 .*dnat to 10\.141\.0\.\d+:80/);
  assert.match(ruleset(daemon), /ip daddr 127\.0\.0\.1 udp dport 5353 .*dnat to 10\.141\.0\.\d+:53/);

  const hostBefore = namespaceState(daemon.hostNetns);
  const refusals: Array<[string[], RegExp]> = [
    [['--publish', '8080:8080', 'pub', 's2'], /already published/],
    [['--publish', '0:80', 'pub', 's2'], /hostPort: must be 1\.\.65535/],
    [['--publish', '70000:80', 'pub', 's2'], /hostPort: must be 1\.\.65535/],
    [['--publish', '8081:0', 'pub', 's2'], /containerPort: must be 1\.\.65535/],
    [['--publish', '9090:80', 'int', 's2'], /internal network cannot publish/],
    [['--publish', '9091:80', 'zzz', 's1'], /not be the gateway endpoint/],
    [['--priority', '10', 'zzz', 's1'], /take the gateway from .* which publishes ports/],
  ];
  for (const [args, message] of refusals) {
    const result = await run('network', 'connect', ...args);
    assert.equal(result.code, 1, `${args.join(' ')}: ${result.stdout}`);
    assert.match(result.stderr, message, args.join(' '));
  }
  const bad = await run('network', 'connect', '--publish', '80', 'pub', 's2');
  assert.equal(bad.code, 2, 'a malformed --publish is a usage error');
  assert.equal(namespaceState(daemon.hostNetns), hostBefore, 'the host is unchanged');
  const endpoints = async (network: string) => (await daemon.api.get<NetworkView>(`/v1/networks/${network}`)).endpoints;
  assert.equal((await endpoints('pub')).length, 1, 'no endpoint left behind');
  assert.deepEqual([...(await endpoints('int')), ...(await endpoints('zzz'))], []);
  assert.deepEqual((await daemon.api.get<SandboxView>('/v1/sandboxes/s2')).endpoints, []);

  await ok('network', 'disconnect', 'pub', 's1');
  assert.doesNotMatch(ruleset(daemon), /dnat/, 'the ports go with the join');
  assert.match(await ok('sandbox', 'ls'), /\ss1\s.*\s0\s+-\n/);
});

test('network create -o turns ICC and masquerade off', { ...needsRoot, timeout: 120_000 }, async (t) => {
  const daemon = await startDaemon(t, 'cli-opt');
  const run = wasmnet(daemon);
  const icc = 'com.docker.network.bridge.enable_icc';
  const masquerade = 'com.docker.network.bridge.enable_ip_masquerade';
  const name = 'com.docker.network.bridge.name';
  for (const args of [
    ['--subnet', '10.144.0.0/24', '-o', `${name}=wndef`, 'def'],
    ['--subnet', '10.145.0.0/24', '-o', `${name}=wnoff`, '-o', `${icc}=false`, '-o', `${masquerade}=false`, 'off'],
  ]) {
    const result = await run('network', 'create', ...args);
    assert.equal(result.code, 0, result.stderr);
  }
  const rules = ruleset(daemon);
  assert.match(rules, /ip saddr 10\.144\.0\.0\/24 oifname != "wndef" .*masquerade/, 'masquerade by default');
  assert.doesNotMatch(rules, /10\.145\.0\.0\/24.*masquerade/, 'masquerade off');
  assert.match(rules, /iifname "wnoff" oifname "wnoff" .*drop/, 'ICC off');
  assert.doesNotMatch(rules, /iifname "wndef" oifname "wndef" .*drop/, 'ICC on by default');
});
