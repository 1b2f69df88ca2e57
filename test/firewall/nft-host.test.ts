// The nftables-only host (no dockerd), with traffic: a real daemon in a private host namespace,
// driven through wasmnet's CLI and API, with an "outside" namespace linked to that host
// namespace and no route back to container subnets. Sandboxes on a wasmnet bridge network reach
// each other, the outside (masquerade) and a published port (busybox httpd inside the sandbox);
// ICC off, internal networks and isolation between networks hold. Everything lives in namespaces
// the test made, removed afterwards (t.after runs on failure too).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { EndpointView, SandboxView } from '../../host/api/port.js';
import { createNetns } from '../../host/netlink/index.js';
import { cli } from '../cli/helpers.js';
import { ping } from '../controller/fixtures.js';
import { type Daemon, startDaemon } from '../security/harness.js';
import { needsRoot } from '../support/root.js';

const HOST_IP = '192.0.2.1';
const OUTSIDE_IP = '192.0.2.2';
const BUSYBOX = '/bin/busybox';

interface World {
  daemon: Daemon;
  outside: string;
  /** The CLI against this daemon; fails the test on a non-zero exit. */
  wasmnet(...args: string[]): Promise<string>;
  /** Creates a sandbox (with these options) and connects it to `network`; returns its namespace and IP. */
  sandbox(name: string, network: string, options?: Record<string, string>): Promise<{ key: string; ip: string }>;
}

async function world(t: { after(fn: () => unknown): void }, label: string): Promise<World> {
  const daemon = await startDaemon(t, label);
  // Deleted with the host's other namespaces.
  const outside = createNetns(daemon.host.namespaceDir('outside'), 'ns').path as string;
  const inHost = (...args: string[]) => execFileSync('nsenter', [`--net=${daemon.hostNetns}`, ...args]);
  const inOutside = (...args: string[]) => execFileSync('nsenter', [`--net=${outside}`, ...args]);
  inHost('ip', 'link', 'add', 'wnout', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', outside);
  inHost('ip', 'addr', 'add', `${HOST_IP}/24`, 'dev', 'wnout');
  inHost('ip', 'link', 'set', 'wnout', 'up');
  inOutside('ip', 'addr', 'add', `${OUTSIDE_IP}/24`, 'dev', 'eth0');
  inOutside('ip', 'link', 'set', 'eth0', 'up');
  inOutside('ip', 'link', 'set', 'lo', 'up');
  const wasmnet = async (...args: string[]): Promise<string> => {
    const result = await cli(['--socket', daemon.socket, ...args]);
    assert.equal(result.code, 0, `wasmnet ${args.join(' ')}: ${result.stderr}\n${daemon.logs()}`);
    return result.stdout;
  };
  return {
    daemon,
    outside,
    wasmnet,
    sandbox: async (name, network, options) => {
      if (options === undefined) await wasmnet('sandbox', 'create', name);
      else await daemon.api.post('/v1/sandboxes', { containerId: name, options });
      const endpointId = (await wasmnet('network', 'connect', network, name)).trim();
      const sandbox = await daemon.api.get<SandboxView>(`/v1/sandboxes/${name}`);
      const endpoint = await daemon.api.get<EndpointView>(`/v1/networks/${network}/endpoints/${endpointId}`);
      const ip = endpoint.ipv4Address?.split('/')[0];
      assert.ok(ip !== undefined, `${name} has an IPv4 address`);
      return { key: sandbox.key, ip };
    },
  };
}

/**
 * busybox httpd serving `body` on port 80 inside the sandbox's namespace. Returns its stop; also
 * stopped in t.after (nsenter execs busybox: the child's pid is the server's).
 */
function httpd(t: { after(fn: () => unknown): void }, dir: string, key: string, body: string): () => void {
  const root = join(dir, 'www');
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'index.html'), `${body}\n`);
  const child = spawn('nsenter', [`--net=${key}`, BUSYBOX, 'httpd', '-f', '-p', '80', '-h', root], {
    stdio: 'ignore',
  });
  const stop = () => void child.kill('SIGKILL');
  t.after(stop);
  return stop;
}

/** GET http://ip:port/ from the namespace at `netns` (Node as the client; busybox's wget is static-NSS broken). */
function fetchFrom(netns: string, ip: string, port: number): string | undefined {
  const client = `require('http').get('http://${ip}:${port}/', (r) => r.pipe(process.stdout)).on('error', () => process.exit(1)).setTimeout(2000, () => process.exit(2))`;
  try {
    return execFileSync('nsenter', [`--net=${netns}`, process.execPath, '-e', client], { encoding: 'utf8' });
  } catch {
    return undefined;
  }
}

async function eventually(what: string, probe: () => string | undefined): Promise<string> {
  for (let i = 0; i < 40; i++) {
    const got = probe();
    if (got !== undefined) return got;
    await sleep(250);
  }
  assert.fail(`${what}: no answer`);
}

test('nftables-only host: sandboxes reach each other, the outside (masquerade) and a published port', {
  ...needsRoot,
  timeout: 180_000,
}, async (t) => {
  const w = await world(t, 'nfw');
  await w.wasmnet('network', 'create', '--subnet', '10.131.0.0/24', 'wnet');
  const a = await w.sandbox('sa', 'wnet');
  const portMap = [{ Proto: 6, IP: '', Port: 80, HostIP: '', HostPort: 8080, HostPortEnd: 8080 }];
  const b = await w.sandbox('sb', 'wnet', { 'com.docker.network.portmap': JSON.stringify(portMap) });
  assert.ok(ping(a.key, b.ip), 'a pings b');
  assert.ok(ping(b.key, a.ip), 'b pings a');
  assert.ok(ping(a.key, OUTSIDE_IP), 'a pings the outside namespace, which has no route back: masquerade');
  const stopHttpd = httpd(t, w.daemon.host.dir, b.key, 'hello-nft');
  try {
    assert.match(await eventually('from outside', () => fetchFrom(w.outside, HOST_IP, 8080)), /hello-nft/);
    assert.match(fetchFrom(w.daemon.hostNetns, HOST_IP, 8080) ?? '', /hello-nft/, 'from the host namespace');
  } finally {
    stopHttpd();
  }
  await w.wasmnet('sandbox', 'rm', 'sb');
  assert.equal(fetchFrom(w.outside, HOST_IP, 8080), undefined, 'the port goes with the sandbox');
});

test('nftables-only host: ICC off, internal networks and isolation between networks hold', {
  ...needsRoot,
  timeout: 180_000,
}, async (t) => {
  const w = await world(t, 'nfi');
  await w.wasmnet(
    'network',
    'create',
    '--subnet',
    '10.132.0.0/24',
    '-o',
    'com.docker.network.bridge.enable_icc=false',
    'wicc',
  );
  const ia = await w.sandbox('ia', 'wicc');
  const ib = await w.sandbox('ib', 'wicc');
  assert.ok(!ping(ia.key, ib.ip), 'ICC off: no traffic between the ports of one bridge');
  assert.ok(ping(ia.key, OUTSIDE_IP), 'ICC off still reaches the outside');
  await w.wasmnet('network', 'create', '--subnet', '10.133.0.0/24', '--internal', 'wint');
  const ci = await w.sandbox('ci', 'wint');
  const cj = await w.sandbox('cj', 'wint');
  assert.ok(ping(ci.key, cj.ip), 'an internal network: its sandboxes reach each other');
  assert.ok(!ping(ci.key, OUTSIDE_IP), 'an internal network reaches nothing outside');
  assert.ok(!ping(ci.key, HOST_IP), 'nor the host');
  await w.wasmnet('network', 'create', '--subnet', '10.134.0.0/24', 'wone');
  await w.wasmnet('network', 'create', '--subnet', '10.135.0.0/24', 'wtwo');
  const oa = await w.sandbox('oa', 'wone');
  const ta = await w.sandbox('ta', 'wtwo');
  assert.ok(ping(oa.key, OUTSIDE_IP) && ping(ta.key, OUTSIDE_IP), 'both networks reach the outside');
  assert.ok(!ping(oa.key, ta.ip), 'networks are isolated from each other');
  assert.ok(!ping(ta.key, oa.ip), 'both ways');
});
