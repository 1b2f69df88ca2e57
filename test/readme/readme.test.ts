// The README's install, Docker and podman steps, run as written: every fenced block the README
// marks with `<!-- readme-test: SECTION -->` is taken from README.md and run by bash (-e, pipefail)
// inside a private EngineHost, against a stock dockerd (iptables on) and podman (CNI backend)
// started there with private roots. A command of those blocks that fails fails the test.
//
// The only rewriting (privatePlaces below) maps the machine's places to the test's own: the CNI
// configuration directory, the daemon's socket in the CNI configuration (podman's clean-up
// process passes the plugin no environment of the test's), the Docker plugin's name (its socket
// lives in the machine's /run/docker/plugins) and `npm ci` (the suite has built already). The
// daemon the README starts with `wasmnet daemon` is started by the test on a private socket
// (WASMNET_SOCKET tells the CLI); `npm run install-cli` installs into a private PREFIX and
// CNI_BIN_DIR.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../host/api/client.js';
import type { NetworkView, SandboxView } from '../../host/api/port.js';
import { DOCKER_PLUGINS_DIR } from '../../host/api/docker/server.js';
import { dockerInstalled, importBusybox, IMAGE, removeAll, startDocker, type DockerEngine } from '../engines/docker.js';
import { EngineHost } from '../engines/engine-host.js';
import { PODMAN_IMAGE, podmanMissing, startPodman, type PodmanEngine } from '../engines/podman.js';
import { rootSkip } from '../support/root.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const skip = rootSkip || podmanMissing || (!dockerInstalled() && 'needs docker.io');

interface Block {
  section: string;
  text: string;
}

/** The README's marked blocks, in order, with the indentation of list items removed. */
export function markedBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const marker = /^\s*<!-- readme-test: (.+?) -->\s*$/.exec(lines[i] ?? '');
    if (marker === null) continue;
    const fence = /^(\s*)```/.exec(lines[i + 1] ?? '');
    if (fence === null) throw new Error(`README.md:${i + 1}: a readme-test marker must precede a fenced block`);
    const indent = fence[1]?.length ?? 0;
    const body: string[] = [];
    for (i += 2; i < lines.length && !/^\s*```\s*$/.test(lines[i] ?? ''); i += 1)
      body.push((lines[i] ?? '').slice(indent));
    blocks.push({ section: marker[1] as string, text: `${body.join('\n')}\n` });
  }
  return blocks;
}

const blocks = markedBlocks(readFileSync(`${ROOT}/README.md`, 'utf8'));
const section = (name: string): string[] => blocks.filter((block) => block.section === name).map((b) => b.text);

let host: EngineHost;
let docker: DockerEngine;
let podman: PodmanEngine;
const plugin = `wasmnet-r${process.pid}`;

/** The machine's places in the README's commands, and the test's private ones. */
function privatePlaces(text: string): string {
  return text
    .replaceAll('npm ci && ', '')
    .replaceAll('/etc/cni/net.d', podman.confDir)
    .replaceAll('"type": "wasmnet",', `"type": "wasmnet", "socket": "${host.path('wasmnet.sock')}",`)
    .replaceAll('-d wasmnet ', `-d ${plugin} `)
    .replaceAll('--ipam-driver wasmnet ', `--ipam-driver ${plugin} `);
}

/** Runs one block with bash inside the host's namespace; its output is kept for a failure's message. */
function runBlock(text: string, env: NodeJS.ProcessEnv): string {
  try {
    return host.run('bash', ['-euo', 'pipefail', '-c', privatePlaces(text)], {
      ...env,
      PATH: `${host.path('prefix', 'bin')}:${process.env.PATH}`,
      WASMNET_SOCKET: host.path('wasmnet.sock'),
      PREFIX: host.path('prefix'),
      CNI_BIN_DIR: podman.binDir,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`README block failed:\n${privatePlaces(text)}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
  }
}

before(
  async () => {
    if (skip) return;
    host = EngineHost.create('readme');
    const [containersConf] = section('podman containers.conf');
    assert.ok(containersConf, 'the README shows podman its containers.conf');
    podman = startPodman(host, containersConf);
    docker = await startDocker(host, { stock: true });
    importBusybox(host, docker);
    // The README's image is `busybox`.
    docker.docker('tag', IMAGE, 'busybox');
    podman.podman('tag', PODMAN_IMAGE, 'busybox');
    await host.runWasmnet(plugin);
  },
  { timeout: 180_000 },
);

after(async () => {
  if (skip || host === undefined) return;
  try {
    if (docker !== undefined) removeAll(docker);
    podman?.podman('rm', '-af', '-t', '0');
  } finally {
    await host.cleanup();
    execFileSync('rm', ['-f', `${DOCKER_PLUGINS_DIR}/${plugin}.sock`]);
  }
});

test('the README marks its install, Docker and podman steps', () => {
  assert.equal(section('install').length, 1);
  assert.ok(section('docker').length >= 3, 'create, run, clean up');
  assert.ok(section('podman').length >= 2, 'configuration, run');
});

test('README: npm run install-cli puts wasmnet and wasmnet-cni on the PATH and the CNI plugin in place', {
  skip,
  timeout: 120_000,
}, () => {
  for (const text of section('install'))
    execFileSync('bash', ['-euo', 'pipefail', '-c', privatePlaces(text)], {
      cwd: ROOT,
      env: { ...process.env, PREFIX: host.path('prefix'), CNI_BIN_DIR: podman.binDir },
      stdio: 'ignore',
    });
  assert.match(runBlock('wasmnet --help', {}), /^Usage: wasmnet/m);
  assert.match(runBlock('CNI_COMMAND=VERSION wasmnet-cni', {}), /"supportedVersions"/);
  assert.ok(existsSync(`${podman.binDir}/wasmnet`));
});

test('README: the Docker steps run as written on a stock dockerd', { skip, timeout: 180_000 }, async () => {
  const api = new ApiClient(host.path('wasmnet.sock'));
  for (const text of section('docker')) runBlock(text, docker.env);
  assert.deepEqual(await api.get<NetworkView[]>('/v1/networks'), [], 'the clean-up step removed the network');
  assert.deepEqual(await api.get<SandboxView[]>('/v1/sandboxes'), []);
});

test('README: the podman steps run as written', { skip, timeout: 180_000 }, async () => {
  const api = new ApiClient(host.path('wasmnet.sock'));
  const outputs = section('podman').map((text) => runBlock(text, podman.env));
  assert.match(outputs.join('\n'), /10\.90\.0\.0\/24/, 'wasmnet network inspect shows the subnet');
  assert.deepEqual(await api.get<NetworkView[]>('/v1/networks'), [], 'the last step removed the network');
  assert.deepEqual(await api.get<SandboxView[]>('/v1/sandboxes'), []);
});
