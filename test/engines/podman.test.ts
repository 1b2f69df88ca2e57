// A real podman (Debian podman 4.3, CNI backend, private storage and config) runs two containers
// on a wasmnet CNI network: wasmnet-cni asks the daemon, the containers ping each other, and
// nothing is left after. Everything runs inside the test's own network namespace.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { ApiClient } from '../../host/api/client.js';
import type { NetworkView, SandboxView } from '../../host/api/port.js';
import { EngineHost, type Proc } from './engine-host.js';
import { installCli, PODMAN_IMAGE as IMAGE, podmanMissing, startPodman } from './podman.js';
import { rootSkip } from '../support/root.js';

const skip = rootSkip || podmanMissing;

let host: EngineHost;
let wasmnet: Proc;
let podman: (...args: string[]) => string;

before(
  async () => {
    if (skip) return;
    host = EngineHost.create('pdm');
    const engine = startPodman(host);
    podman = engine.podman;
    // The plugin executable CNI looks for by `type`: wasmnet-cni under the name "wasmnet".
    installCli(host, engine);
    writeFileSync(
      `${engine.confDir}/wnet.conflist`,
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'wnet',
        plugins: [{ type: 'wasmnet', socket: host.path('wasmnet.sock'), subnet: '10.94.0.0/24' }],
      }),
    );
    wasmnet = await host.runWasmnet(undefined);
  },
  { timeout: 120_000 },
);

after(async () => {
  if (skip || host === undefined) return;
  try {
    podman('rm', '-af', '-t', '0');
  } finally {
    await host.cleanup();
  }
});

test('podman (CNI backend): two containers on a wasmnet network ping each other and resolve names; nothing is left after', {
  skip,
  timeout: 120_000,
}, async () => {
  for (const name of ['pa', 'pb']) podman('run', '-d', '--name', name, '--network', 'wnet', IMAGE, 'sleep', '600');
  const ipOf = (name: string): string =>
    podman('inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name);
  assert.match(ipOf('pa'), /^10\.94\.0\.\d+$/);
  assert.match(podman('exec', 'pa', 'ping', '-c', '1', '-W', '2', ipOf('pb')), /1 packets received/);
  assert.match(podman('exec', 'pb', 'ping', '-c', '1', '-W', '2', ipOf('pa')), /1 packets received/);
  // Names: podman puts the result's nameserver (the embedded DNS, 127.0.0.11) in resolv.conf.
  assert.match(podman('exec', 'pa', 'busybox', 'cat', '/etc/resolv.conf'), /^nameserver 127\.0\.0\.11$/m);
  assert.match(
    podman('exec', 'pa', 'busybox', 'nslookup', 'pb'),
    new RegExp(`Address:\\s+${ipOf('pb').replaceAll('.', '\\.')}`),
  );
  const api = new ApiClient(host.path('wasmnet.sock'));
  assert.equal((await api.get<SandboxView[]>('/v1/sandboxes')).length, 2);

  podman('rm', '-f', '-t', '0', 'pa', 'pb');
  assert.deepEqual(await api.get<SandboxView[]>('/v1/sandboxes'), [], 'DEL removed the sandboxes');
  const [network] = await api.get<NetworkView[]>('/v1/networks');
  assert.deepEqual(network!.endpoints, [], 'DEL removed the endpoints');
  // The network (and its bridge) stays for the next ADD, as CNI networks do; removing it clears the host.
  await api.delete(`/v1/networks/${network!.id}`);
  assert.deepEqual(
    host.ip<Array<{ ifname: string }>>('link').map((link) => link.ifname),
    ['lo'],
    'no link left',
  );
});

test('podman (CNI backend): a container removed while wasmnet is down leaves no endpoint, sandbox or link', {
  skip,
  timeout: 180_000,
}, async () => {
  const api = new ApiClient(host.path('wasmnet.sock'), 5_000);
  const ipOf = (name: string): string =>
    podman('inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name);
  podman('run', '-d', '--name', 'pleak', '--network', 'wnet', IMAGE, 'sleep', '600');
  const leaked = ipOf('pleak');
  wasmnet.child.kill('SIGKILL');
  await wasmnet.exited;
  // CNI DEL cannot reach the daemon; podman removes the container and its namespace anyway.
  try {
    podman('rm', '-f', '-t', '0', 'pleak');
  } catch {
    podman('rm', '-f', '-t', '0', 'pleak');
  }
  wasmnet = await host.runWasmnet(undefined);
  assert.deepEqual(await api.get<SandboxView[]>('/v1/sandboxes'), [], 'the leaked sandbox is gone');
  const [network] = await api.get<NetworkView[]>('/v1/networks');
  assert.deepEqual(network!.endpoints, [], 'the leaked endpoint is gone');
  assert.match(host.log(wasmnet), /"removed leftover endpoint"/);
  podman('run', '-d', '--name', 'pnext', '--network', 'wnet', IMAGE, 'sleep', '600');
  assert.equal(ipOf('pnext'), leaked, 'its address was released');
  podman('rm', '-f', '-t', '0', 'pnext');
  await api.delete(`/v1/networks/${network!.id}`);
  assert.deepEqual(
    host.ip<Array<{ ifname: string }>>('link').map((link) => link.ifname),
    ['lo'],
    'no link left',
  );
});
