// containerd and dockerd (Debian docker.io) started by hand inside an EngineHost: private roots
// and sockets; no iptables and no default bridge, or a stock dockerd (its defaults: iptables
// rules, FORWARD policy drop, docker0) writing only in the EngineHost's namespace, its rules in
// iptables-nft (the machine's `iptables` alternative) or in iptables-legacy (a PATH of its own
// whose `iptables` is iptables-legacy; the machine's alternatives stay as they are); a busybox
// image imported from busybox-static.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { ApiClient } from '../../host/api/client.js';
import { DOCKER_PLUGINS_DIR } from '../../host/api/docker/server.js';
import type { NetworkView, SandboxView } from '../../host/api/port.js';
import { ipJson } from '../controller/fixtures.js';
import { BUSYBOX, waitUntil, type EngineHost, type Proc } from './engine-host.js';

export const DOCKER = '/usr/bin/docker';
const DOCKERD = '/usr/sbin/dockerd';
const CONTAINERD = '/usr/bin/containerd';
export const IMAGE = 'wasmnet-busybox:test';

/** Whether the engines are installed (the CI installs them; a developer machine may not have them). */
export function dockerInstalled(): boolean {
  return [DOCKER, DOCKERD, CONTAINERD, BUSYBOX].every((path) => existsSync(path));
}

export interface DockerEngine {
  /** The docker CLI against this dockerd; returns stdout, trimmed. */
  docker(...args: string[]): string;
  /** The environment that points the docker CLI at this dockerd (for scripts). */
  env: NodeJS.ProcessEnv;
  dockerd: Proc;
  containerd: Proc;
}

/** The iptables-legacy commands a dockerd runs, under the names it looks for. */
const LEGACY_COMMANDS = [
  'iptables',
  'iptables-save',
  'iptables-restore',
  'ip6tables',
  'ip6tables-save',
  'ip6tables-restore',
];

/** Whether iptables-legacy is installed (Debian's iptables package has it). */
export function legacyIptablesInstalled(): boolean {
  return LEGACY_COMMANDS.every((command) => existsSync(`/usr/sbin/${command.replace('tables', 'tables-legacy')}`));
}

/** A directory whose iptables commands are iptables-legacy, to put first in dockerd's PATH. */
function legacyPath(host: EngineHost): string {
  const dir = host.path('legacy-bin');
  mkdirSync(dir, { recursive: true });
  for (const command of LEGACY_COMMANDS)
    symlinkSync(`/usr/sbin/${command.replace('tables', 'tables-legacy')}`, `${dir}/${command}`);
  return `${dir}:${process.env.PATH ?? ''}`;
}

export interface DockerOptions {
  /** dockerd with its defaults (iptables rules, docker0) rather than without a firewall or bridge. */
  stock?: boolean;
  /** A stock dockerd whose `iptables` is iptables-legacy. */
  legacyIptables?: boolean;
}

export async function startDocker(host: EngineHost, options: DockerOptions = {}): Promise<DockerEngine> {
  const stock = options.stock === true || options.legacyIptables === true;
  // Fixed places: dockerd's trust key and exec root parent, containerd's shim sockets.
  host.strays('/etc/docker/key.json', '/run/containerd', '/run/docker');
  const containerdSocket = host.path('containerd.sock');
  const config = host.path('containerd.toml');
  writeFileSync(
    config,
    [
      'version = 2',
      `root = "${host.path('containerd', 'root')}"`,
      `state = "${host.path('containerd', 'state')}"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = "${host.path('containerd', 'opt')}"`,
      '[grpc]',
      `  address = "${containerdSocket}"`,
      '[ttrpc]',
      `  address = "${containerdSocket}.ttrpc"`,
      '',
    ].join('\n'),
  );
  const containerd = host.spawn('containerd', CONTAINERD, ['--config', config, '--log-level', 'warn']);
  await waitUntil(
    'containerd',
    () => existsSync(containerdSocket),
    () => host.log(containerd),
  );

  const dockerSocket = host.path('docker.sock');
  writeFileSync(host.path('daemon.json'), '{}\n');
  const env = options.legacyIptables === true ? { ...process.env, PATH: legacyPath(host) } : process.env;
  const dockerd = host.spawn(
    'dockerd',
    DOCKERD,
    [
      '--config-file',
      host.path('daemon.json'),
      '--containerd',
      containerdSocket,
      '--data-root',
      host.path('docker'),
      '--exec-root',
      host.path('exec'),
      '--pidfile',
      host.path('docker.pid'),
      '-H',
      `unix://${dockerSocket}`,
      ...(stock
        ? []
        : ['--iptables=false', '--ip-masq=false', '--ip-forward=false', '--bridge=none', '--userland-proxy=false']),
      '--log-level',
      'warn',
    ],
    env,
  );
  const clientEnv = { ...process.env, DOCKER_CONFIG: host.path('client'), DOCKER_HOST: `unix://${dockerSocket}` };
  const docker = (...args: string[]): string =>
    execFileSync(DOCKER, args, { encoding: 'utf8', env: clientEnv, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const answers = (): boolean => {
    try {
      docker('version', '--format', '{{.Server.Version}}');
      return true;
    } catch {
      return false;
    }
  };
  await waitUntil('dockerd', answers, () => host.log(dockerd));
  return { docker, env: clientEnv, dockerd, containerd };
}

/** A busybox image from the static binary (no registry). */
export function importBusybox(host: EngineHost, engine: DockerEngine): void {
  engine.docker('import', host.busyboxTar(), IMAGE);
}

/** Removes every container, then every network this dockerd did not make by itself. */
export function removeAll(engine: DockerEngine): void {
  const containers = engine.docker('ps', '-aq').split('\n').filter(Boolean);
  if (containers.length > 0) engine.docker('rm', '-f', ...containers);
  const networks = engine
    .docker('network', 'ls', '--format', '{{.Name}}')
    .split('\n')
    .filter((name) => name !== '' && name !== 'none' && name !== 'host' && name !== 'bridge');
  if (networks.length > 0) engine.docker('network', 'rm', ...networks);
}

const isMountPoint = (path: string): boolean =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[4] === path);

/**
 * What must be gone once the containers and the networks are: links, addresses, namespaces,
 * wasmnet objects. `keep`: the links and addresses dockerd made itself (a stock dockerd's docker0).
 */
export async function assertNothingLeft(
  host: EngineHost,
  keep: { links: string[]; addresses: string[] } = { links: [], addresses: [] },
): Promise<void> {
  assert.deepEqual(
    host
      .ip<Array<{ ifname: string }>>('link')
      .map((link) => link.ifname)
      .filter((name) => !keep.links.includes(name)),
    ['lo'],
    'no link left',
  );
  const addresses = host
    .ip<Array<{ addr_info: Array<{ local: string }> }>>('addr')
    .flatMap((link) => link.addr_info.map((a) => a.local));
  assert.deepEqual(
    addresses.filter((a) => a !== '127.0.0.1' && a !== '::1' && !keep.addresses.includes(a)),
    [],
    'no address left',
  );
  // dockerd deletes its namespace files by a garbage collector a minute later: until then the
  // containers' namespaces must hold nothing but lo.
  for (const file of readdirSync(host.path('exec', 'netns'))) {
    const path = host.path('exec', 'netns', file);
    if (isMountPoint(path))
      assert.deepEqual(
        ipJson<Array<{ ifname: string }>>(path, 'link').map((link) => link.ifname),
        ['lo'],
        `no link left in ${path}`,
      );
  }
  const netnsDir = host.path('wasmnet', 'netns');
  assert.deepEqual(existsSync(netnsDir) ? readdirSync(netnsDir) : [], [], "no namespace left in wasmnet's");
  const api = new ApiClient(host.path('wasmnet.sock'));
  assert.deepEqual(await api.get<NetworkView[]>('/v1/networks'), []);
  assert.deepEqual(await api.get<SandboxView[]>('/v1/sandboxes'), []);
}

/**
 * After a file's tests: removes what they made in dockerd, then (whatever failed) runs `alsoUndo`,
 * stops what the host started and removes the plugin's socket.
 */
export async function tearDown(
  host: EngineHost | undefined,
  engine: DockerEngine | undefined,
  plugin: string,
  alsoUndo: () => void = () => undefined,
): Promise<void> {
  if (host === undefined) return;
  try {
    if (engine !== undefined) removeAll(engine);
  } finally {
    alsoUndo();
    await host.cleanup();
    rmSync(`${DOCKER_PLUGINS_DIR}/${plugin}.sock`, { force: true });
  }
}
