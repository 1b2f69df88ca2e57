// A real podman (Debian podman 4.3, CNI backend, private storage and config) runs two containers
// on a wasmnet CNI network: wasmnet-cni asks the daemon, the containers ping each other, and
// nothing is left after. Everything runs inside the test's own network namespace.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../host/api/client.js';
import type { NetworkView, SandboxView } from '../../host/api/port.js';
import { BUSYBOX, EngineHost, waitUntil, type Proc } from './engine-host.js';
import { rootSkip } from '../support/root.js';

const PODMAN = '/usr/bin/podman';
const CNI_PLUGINS = '/usr/lib/cni';
const CNI_MAIN = fileURLToPath(new URL('../../host/cni/main.js', import.meta.url));
const IMAGE = 'localhost/wasmnet-busybox:test';
const skip =
  rootSkip ||
  (![PODMAN, BUSYBOX, `${CNI_PLUGINS}/loopback`].every((path) => existsSync(path)) &&
    'needs Debian podman, containernetworking-plugins, busybox-static');

let host: EngineHost;
let wasmnet: Proc;
let env: NodeJS.ProcessEnv;

const podman = (...args: string[]): string =>
  host
    .run(
      PODMAN,
      [
        '--root',
        host.path('storage'),
        '--runroot',
        host.path('runroot'),
        '--tmpdir',
        host.path('tmp'),
        '--storage-driver',
        'vfs',
        '--cgroup-manager',
        'cgroupfs',
        '--events-backend',
        'file',
        '--runtime',
        'runc',
        ...args,
      ],
      env,
    )
    .trim();

/** podman's configuration: CNI backend, our plugin and network directory, the ulimits podman 4.3 needs here. */
function configure(): void {
  const bin = host.path('cni-bin');
  mkdirSync(bin, { recursive: true });
  // The plugin executable CNI looks for by `type`: wasmnet-cni under the name "wasmnet".
  writeFileSync(`${bin}/wasmnet`, `#!/bin/sh\nexec ${process.execPath} ${CNI_MAIN}\n`);
  chmodSync(`${bin}/wasmnet`, 0o755);
  const conf = host.path('cni-conf');
  mkdirSync(conf, { recursive: true });
  writeFileSync(
    `${conf}/wnet.conflist`,
    JSON.stringify({
      cniVersion: '1.0.0',
      name: 'wnet',
      plugins: [{ type: 'wasmnet', socket: host.path('wasmnet.sock'), subnet: '10.94.0.0/24' }],
    }),
  );
  writeFileSync(
    host.path('containers.conf'),
    [
      '[containers]',
      'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]',
      '[network]',
      'network_backend = "cni"',
      `cni_plugin_dirs = ["${bin}", "${CNI_PLUGINS}"]`,
      `network_config_dir = "${conf}"`,
      '',
    ].join('\n'),
  );
  writeFileSync(host.path('registries.conf'), 'unqualified-search-registries = []\n');
  env = {
    ...process.env,
    CONTAINERS_CONF: host.path('containers.conf'),
    CONTAINERS_REGISTRIES_CONF: host.path('registries.conf'),
    CONTAINERS_STORAGE_CONF: host.path('storage.conf'),
  };
  writeFileSync(
    host.path('storage.conf'),
    `[storage]\ndriver = "vfs"\ngraphroot = "${host.path('storage')}"\nrunroot = "${host.path('runroot')}"\n`,
  );
}

before(
  async () => {
    if (skip) return;
    host = EngineHost.create('pdm');
    // podman's runc state, libcni's result cache and the image blob cache have fixed places.
    host.strays('/run/runc', '/var/lib/cni', '/var/lib/containers');
    configure();
    podman('import', host.busyboxTar(), IMAGE);
    wasmnet = host.startWasmnet(undefined);
    await waitUntil(
      'wasmnet',
      () => existsSync(host.path('wasmnet.sock')),
      () => host.log(wasmnet),
    );
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
