// A real dockerd (Debian docker.io, started by the test with private roots) uses wasmnet through
// the Docker plugin socket: two containers on a wasmnet network ping each other, and nothing is
// left once they and the network are removed, also across a restart of the wasmnet daemon.
// Everything runs inside the test's own network namespace.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, afterEach, before, test } from 'node:test';
import { ApiClient } from '../../host/api/client.js';
import type { NetworkView } from '../../host/api/port.js';
import { DOCKER_PLUGINS_DIR } from '../../host/api/docker/server.js';
import {
  assertNothingLeft,
  dockerInstalled,
  IMAGE,
  importBusybox,
  removeAll,
  startDocker,
  tearDown,
  type DockerEngine,
} from './docker.js';
import { EngineHost, waitUntil, type Proc } from './engine-host.js';
import { rootSkip } from '../support/root.js';

const skip = rootSkip || (!dockerInstalled() && 'needs Debian docker.io, containerd, busybox-static');
const PLUGIN = `wasmnet-t${process.pid}`;

let host: EngineHost;
let engine: DockerEngine;
let wasmnet: Proc;

async function startWasmnet(): Promise<void> {
  wasmnet = host.startWasmnet(PLUGIN);
  await waitUntil(
    'wasmnet',
    () => existsSync(host.path('wasmnet.sock')) && existsSync(`${DOCKER_PLUGINS_DIR}/${PLUGIN}.sock`),
    () => host.log(wasmnet),
  );
}

before(
  async () => {
    if (skip) return;
    host = EngineHost.create('dkr');
    engine = await startDocker(host);
    importBusybox(host, engine);
    await startWasmnet();
  },
  { timeout: 120_000 },
);

after(async () => {
  if (!skip) await tearDown(host, engine, PLUGIN);
});

// A failed test leaves nothing to the next one.
afterEach(() => {
  if (!skip) removeAll(engine);
});

const run = (name: string): string =>
  engine.docker('run', '-d', '--name', name, '--network', 'wnet', IMAGE, 'sleep', '600');
const ipOf = (name: string): string =>
  engine.docker('inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name);
const pings = (from: string, to: string): string => engine.docker('exec', from, 'ping', '-c', '1', '-W', '2', ipOf(to));

test('dockerd: two containers on a wasmnet network ping each other; nothing is left after', {
  skip,
  timeout: 120_000,
}, async () => {
  // -o wasmnet.driver picks the wasmnet driver that serves the Docker network.
  engine.docker(
    'network',
    'create',
    '-d',
    PLUGIN,
    '--ipam-driver',
    PLUGIN,
    '--subnet',
    '10.91.0.0/24',
    '-o',
    'wasmnet.driver=bridge',
    'wnet',
  );
  const [network] = await new ApiClient(host.path('wasmnet.sock')).get<NetworkView[]>('/v1/networks');
  assert.equal(network!.type, 'bridge');
  assert.equal(
    engine.docker(
      'network',
      'inspect',
      '-f',
      '{{.Driver}} {{.IPAM.Driver}} {{range .IPAM.Config}}{{.Subnet}}{{end}}',
      'wnet',
    ),
    `${PLUGIN} ${PLUGIN} 10.91.0.0/24`,
  );
  run('ca');
  run('cb');
  assert.match(ipOf('ca'), /^10\.91\.0\.\d+$/);
  assert.match(pings('ca', 'cb'), /1 packets received/);
  assert.match(pings('cb', 'ca'), /1 packets received/);
  // The container sees the interface dockerd moved in, with wasmnet's address.
  assert.match(
    engine.docker('exec', 'ca', 'ip', '-4', 'addr', 'show', 'eth0'),
    new RegExp(`inet ${ipOf('ca').replace(/\./g, '\\.')}/24`),
  );
  engine.docker('rm', '-f', 'ca', 'cb');
  engine.docker('network', 'rm', 'wnet');
  await assertNothingLeft(host);
});

test('dockerd: the wasmnet daemon restarts while a container runs; the network keeps working and is removed cleanly', {
  skip,
  timeout: 120_000,
}, async () => {
  engine.docker('network', 'create', '-d', PLUGIN, '--ipam-driver', PLUGIN, '--subnet', '10.92.0.0/24', 'wnet');
  run('ca');
  await host.stop(wasmnet);
  await startWasmnet();
  run('cb');
  assert.notEqual(ipOf('ca'), ipOf('cb'), 'the restarted IPAM remembers what it gave');
  assert.match(pings('cb', 'ca'), /1 packets received/);
  engine.docker('rm', '-f', 'ca', 'cb');
  engine.docker('network', 'rm', 'wnet');
  await assertNothingLeft(host);
});
