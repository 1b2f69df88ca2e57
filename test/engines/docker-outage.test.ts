// Outages with a stock dockerd (its defaults) in a private namespace: containers removed while
// the wasmnet daemon is down (killed: its sockets stay) leave nothing once it is back (the
// leftover sweep), and `docker network rm` then removes the network and its bridge.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { ApiClient } from '../../host/api/client.js';
import type { EndpointView, NetworkView, SandboxView } from '../../host/api/port.js';
import { DOCKER_PLUGINS_DIR } from '../../host/api/docker/server.js';
import { rootSkip } from '../support/root.js';
import {
  assertNothingLeft,
  dockerInstalled,
  IMAGE,
  importBusybox,
  startDocker,
  tearDown,
  type DockerEngine,
} from './docker.js';
import { EngineHost, type Proc } from './engine-host.js';

const skip = rootSkip || (!dockerInstalled() && 'needs Debian docker.io, containerd, busybox-static');
const PLUGIN = `wasmnet-o${process.pid}`;
const PLUGIN_SOCKET = `${DOCKER_PLUGINS_DIR}/${PLUGIN}.sock`;

let host: EngineHost;
let engine: DockerEngine;
let wasmnet: Proc;
let api: ApiClient;

/** Starts the daemon and waits until it answers (a killed one's socket files may still be there). */
async function startWasmnet(): Promise<void> {
  wasmnet = await host.runWasmnet(PLUGIN, '--leftover-interval', '1');
}

before(
  async () => {
    if (skip) return;
    host = EngineHost.create('dko');
    api = new ApiClient(host.path('wasmnet.sock'), 5_000);
    engine = await startDocker(host, { stock: true });
    importBusybox(host, engine);
    await startWasmnet();
  },
  { timeout: 120_000 },
);

after(async () => {
  if (!skip) await tearDown(host, engine, PLUGIN);
});

const run = (name: string): string =>
  engine.docker('run', '-d', '--name', name, '--network', 'wout', IMAGE, 'sleep', '600');
const ipOf = (name: string): string =>
  engine.docker('inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name);
const links = (): string[] => host.ip<Array<{ ifname: string }>>('link').map((link) => link.ifname);

test('stock dockerd: containers removed while wasmnet is down leave no endpoint, address, sandbox or link', {
  skip,
  timeout: 300_000,
}, async () => {
  const docker0 = { links: links().filter((name) => name !== 'lo'), addresses: ['172.17.0.1'] };
  engine.docker('network', 'create', '-d', PLUGIN, '--ipam-driver', PLUGIN, '--subnet', '10.89.0.0/24', 'wout');
  run('leak-a');
  run('leak-b');
  const firstAddress = ipOf('leak-a');
  const [network] = await api.get<NetworkView[]>('/v1/networks');
  assert.equal(network!.endpoints.length, 2);
  const bridgeAndVeths = links().filter((name) => !docker0.links.includes(name) && name !== 'lo');
  assert.ok(bridgeAndVeths.length >= 3, `a bridge and two veths: ${bridgeAndVeths}`);

  // Killed: no clean shutdown, its sockets stay behind.
  wasmnet.child.kill('SIGKILL');
  await wasmnet.exited;
  assert.ok(existsSync(PLUGIN_SOCKET), "a killed daemon's plugin socket stays");
  // dockerd gives up on the plugin after its retries and removes the containers anyway.
  engine.docker('rm', '-f', 'leak-a', 'leak-b');

  await startWasmnet();
  const endpoints = await api.get<EndpointView[]>(`/v1/networks/${network!.id}/endpoints`);
  assert.deepEqual(endpoints, [], 'the leaked endpoints are gone');
  assert.deepEqual(await api.get<SandboxView[]>('/v1/sandboxes'), [], 'their sandboxes too');
  const left = links().filter((name) => !docker0.links.includes(name) && name !== 'lo');
  assert.equal(left.length, 1, `only the bridge is left: ${left}`);
  const log = host.log(wasmnet);
  assert.equal(log.match(/"removed leftover endpoint"/g)?.length, 2, 'a log line per endpoint');
  assert.match(await api.text('/metrics'), /wasmnet_leftovers_removed_total\{kind="endpoint"\} 2/);

  // The addresses went back to both IPAMs: the next container gets the first one again.
  run('fresh');
  assert.equal(ipOf('fresh'), firstAddress, "the leaked container's address is free again");
  engine.docker('rm', '-f', 'fresh');
  engine.docker('network', 'rm', 'wout');
  await assertNothingLeft(host, docker0);
});

test('stock dockerd: docker network rm removes the network even with an endpoint dockerd does not know', {
  skip,
  timeout: 120_000,
}, async () => {
  const docker0 = { links: links().filter((name) => name !== 'lo'), addresses: ['172.17.0.1'] };
  engine.docker('network', 'create', '-d', PLUGIN, '--ipam-driver', PLUGIN, '--subnet', '10.88.0.0/24', 'wout');
  const id = engine.docker('network', 'inspect', '-f', '{{.Id}}', 'wout');
  // Found by any unique prefix of dockerd's id (dockerd sends no name).
  const network = await api.get<NetworkView>(`/v1/networks/${id.slice(0, 6)}`);
  assert.equal(network.id, id);
  // As a container removed while the daemon was down leaves it: dockerd counts no endpoint,
  // wasmnet has one. dockerd forgets the network whatever DeleteNetwork answers.
  await api.post<EndpointView>(`/v1/networks/${id}/endpoints`, { name: 'leaked' });
  engine.docker('network', 'rm', 'wout');
  assert.deepEqual(await api.get<NetworkView[]>('/v1/networks'), [], 'wasmnet removed the network and the leak');
  await assertNothingLeft(host, docker0);
});

test('stock dockerd: a network removed while wasmnet is down is removed by hand; its subnet is free again', {
  skip,
  timeout: 300_000,
}, async () => {
  const docker0 = { links: links().filter((name) => name !== 'lo'), addresses: ['172.17.0.1'] };
  engine.docker('network', 'create', '-d', PLUGIN, '--ipam-driver', PLUGIN, '--subnet', '10.87.0.0/24', 'wgone');
  const id = engine.docker('network', 'inspect', '-f', '{{.Id}}', 'wgone');
  wasmnet.child.kill('SIGKILL');
  await wasmnet.exited;
  // dockerd forgets the network although its DeleteNetwork and ReleasePool fail.
  engine.docker('network', 'rm', 'wgone');
  await startWasmnet();
  const rm = await api.delete(`/v1/networks/docker-${id.slice(0, 12)}`, { force: true }).then(
    () => 'ok',
    (error: unknown) => String(error),
  );
  assert.equal(rm, 'ok');
  // The plugin's next sweep gives the pool back: the subnet can be used again.
  for (let i = 0; ; i++) {
    try {
      engine.docker('network', 'create', '-d', PLUGIN, '--ipam-driver', PLUGIN, '--subnet', '10.87.0.0/24', 'wback');
      break;
    } catch (error) {
      if (i > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  engine.docker('network', 'rm', 'wback');
  await assertNothingLeft(host, docker0);
});
