// A stock dockerd (its defaults: iptables on, FORWARD policy drop) in a private namespace, with
// an "outside" namespace linked to it that has no route back to container subnets: on wasmnet
// networks containers reach each other, the outside (masquerade) and published ports, and ICC
// off, internal networks and isolation between networks hold. dockerd's rules and wasmnet's live
// in the test's namespace only.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after, afterEach, before, test } from 'node:test';
import { DOCKER_PLUGINS_DIR } from '../../host/api/docker/server.js';
import { createNetns, deleteNetns, type Netns } from '../../host/netlink/index.js';
import { dockerInstalled, IMAGE, importBusybox, removeAll, startDocker, type DockerEngine } from './docker.js';
import { EngineHost, type Proc, waitUntil } from './engine-host.js';
import { rootSkip } from '../support/root.js';

const skip = rootSkip || (!dockerInstalled() && 'needs Debian docker.io, containerd, busybox-static');
const PLUGIN = `wasmnet-s${process.pid}`;
const HOST_IP = '192.0.2.1';
const OUTSIDE_IP = '192.0.2.2';

let host: EngineHost;
let outside: Netns;
let engine: DockerEngine;
let wasmnet: Proc;

before(
  async () => {
    if (skip) return;
    host = EngineHost.create('dks');
    // The outside world: a namespace on a veth, with no route to the containers' subnets.
    outside = createNetns(host.dir, 'outside');
    host.run('ip', ['link', 'add', 'wnout', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', outside.path as string]);
    host.run('ip', ['addr', 'add', `${HOST_IP}/24`, 'dev', 'wnout']);
    host.run('ip', ['link', 'set', 'wnout', 'up']);
    inOutside('ip', 'addr', 'add', `${OUTSIDE_IP}/24`, 'dev', 'eth0');
    inOutside('ip', 'link', 'set', 'eth0', 'up');
    inOutside('ip', 'link', 'set', 'lo', 'up');
    engine = await startDocker(host, { stock: true });
    importBusybox(host, engine);
    wasmnet = await host.runWasmnet(PLUGIN);
  },
  { timeout: 120_000 },
);

after(async () => {
  if (skip || host === undefined) return;
  try {
    if (engine !== undefined) removeAll(engine);
  } finally {
    if (outside !== undefined) deleteNetns(outside);
    await host.cleanup();
    rmSync(`${DOCKER_PLUGINS_DIR}/${PLUGIN}.sock`, { force: true });
  }
});

afterEach(() => {
  if (!skip) removeAll(engine);
});

function inOutside(...args: string[]): string {
  return execFileSync('nsenter', [`--net=${outside.path}`, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function network(name: string, subnet: string, ...options: string[]): void {
  engine.docker('network', 'create', '-d', PLUGIN, '--ipam-driver', PLUGIN, '--subnet', subnet, ...options, name);
}
const run = (name: string, net: string, ...args: string[]): string =>
  engine.docker('run', '-d', '--name', name, '--network', net, ...args, IMAGE, 'sleep', '600');
const ipOf = (name: string): string =>
  engine.docker('inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name);
/** Whether `from` gets an answer from `ip` (one ping, 1 s). */
function reaches(from: string, ip: string): boolean {
  try {
    engine.docker('exec', from, 'ping', '-c', '1', '-W', '1', ip);
    return true;
  } catch {
    return false;
  }
}

test('stock dockerd: containers reach each other and the outside (masquerade); internal reaches nothing', {
  skip,
  timeout: 180_000,
}, () => {
  assert.match(host.run('iptables', ['-S', 'FORWARD']), /-P FORWARD DROP/, "dockerd's FORWARD drops by default");
  network('wnet', '10.93.0.0/24');
  run('ca', 'wnet');
  run('cb', 'wnet');
  assert.ok(reaches('ca', ipOf('cb')), 'ca pings cb');
  assert.ok(reaches('cb', ipOf('ca')), 'cb pings ca');
  assert.ok(reaches('ca', OUTSIDE_IP), 'ca pings the outside namespace, which has no route back: masquerade');
  network('wint', '10.94.0.0/24', '--internal');
  run('ci', 'wint');
  run('cj', 'wint');
  assert.ok(reaches('ci', ipOf('cj')), 'containers of an internal network reach each other');
  assert.ok(!reaches('ci', OUTSIDE_IP), 'an internal network reaches nothing outside');
  assert.ok(!reaches('ci', HOST_IP), 'nor the host');
});

test('stock dockerd: enable_icc=false blocks container to container; two networks cannot reach each other', {
  skip,
  timeout: 180_000,
}, () => {
  network('wicc', '10.95.0.0/24', '-o', 'com.docker.network.bridge.enable_icc=false');
  run('ia', 'wicc');
  run('ib', 'wicc');
  assert.ok(!reaches('ia', ipOf('ib')), 'ICC off: no traffic between the ports of one bridge');
  assert.ok(reaches('ia', OUTSIDE_IP), 'ICC off still reaches the outside');
  network('wone', '10.96.0.0/24');
  network('wtwo', '10.97.0.0/24');
  run('oa', 'wone');
  run('ta', 'wtwo');
  assert.ok(!reaches('oa', ipOf('ta')), 'networks are isolated from each other');
  assert.ok(!reaches('ta', ipOf('oa')), 'both ways');
});

test('stock dockerd: docker run -p 8080:80 is reachable from outside and from the host', {
  skip,
  timeout: 180_000,
}, async () => {
  network('wpub', '10.98.0.0/24');
  engine.docker(
    'run',
    '-d',
    '--name',
    'web',
    '--network',
    'wpub',
    '-p',
    '8080:80',
    IMAGE,
    'sh',
    '-c',
    'busybox mkdir /www && echo hello-wasmnet > /www/index.html && exec busybox httpd -f -p 80 -h /www',
  );
  // busybox-static's wget crashes here (static NSS): Node is the client.
  const client = `require('http').get('http://${HOST_IP}:8080/', (r) => r.pipe(process.stdout)).on('error', () => process.exit(1)).setTimeout(3000, () => process.exit(2))`;
  const fetch = (run: (...args: string[]) => string): string => run(process.execPath, '-e', client);
  let fromOutside = '';
  await waitUntil(
    'httpd through the published port',
    () => {
      try {
        fromOutside = fetch(inOutside);
        return true;
      } catch {
        return false;
      }
    },
    () => `${engine.docker('logs', 'web')}\n${host.run('nft', ['list', 'ruleset'])}\n${host.log(wasmnet)}`,
    20_000,
  );
  assert.match(fromOutside, /hello-wasmnet/, 'from the outside namespace');
  assert.match(
    fetch((...args) => host.run(args[0] as string, args.slice(1))),
    /hello-wasmnet/,
    'from the host namespace',
  );
  process.stdout.write(`# docker port web: ${JSON.stringify(engine.docker('port', 'web'))}\n`);
});
