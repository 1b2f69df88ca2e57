// Debian's podman 4.3 run inside an EngineHost with everything private: its storage, run root
// and configuration (CNI backend, the CNI plugin and network directories of the host's own), and
// a busybox image imported from busybox-static. podman has no daemon: each command is a process.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BUSYBOX, type EngineHost } from './engine-host.js';

export const PODMAN = '/usr/bin/podman';
/** Debian's CNI reference plugins, where Debian's podman looks for plugins. */
export const CNI_PLUGINS = '/usr/lib/cni';
export const PODMAN_IMAGE = 'localhost/wasmnet-busybox:test';
const INSTALL_CLI = fileURLToPath(new URL('../../../scripts/install-cli.mjs', import.meta.url));

/** Why podman cannot run here, or false. */
export const podmanMissing: string | false =
  ![PODMAN, BUSYBOX, `${CNI_PLUGINS}/loopback`].every((path) => existsSync(path)) &&
  'needs Debian podman, containernetworking-plugins, busybox-static';

/** podman's configuration on this machine: CNI backend, and the ulimits podman 4.3 needs here. */
const DEFAULT_CONTAINERS_CONF = [
  '[containers]',
  'default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]',
  '[network]',
  'network_backend = "cni"',
  '',
].join('\n');

export interface PodmanEngine {
  /** podman against the private storage and configuration; returns stdout, trimmed. */
  podman(...args: string[]): string;
  /** The environment that points podman at the private configuration (for scripts). */
  env: NodeJS.ProcessEnv;
  /** The directory of CNI network configurations podman reads. */
  confDir: string;
  /** The first directory podman looks for CNI plugins in (before Debian's). */
  binDir: string;
}

/**
 * Writes podman's private configuration and imports the image. `containersConf` replaces the
 * default containers.conf (the README's, in test/readme); the private directories are added to it.
 */
export function startPodman(host: EngineHost, containersConf = ''): PodmanEngine {
  // podman's runc state, libcni's result cache and the image blob cache have fixed places.
  host.strays('/run/runc', '/var/lib/cni', '/var/lib/containers');
  const binDir = host.path('cni-bin');
  const confDir = host.path('cni-conf');
  mkdirSync(binDir, { recursive: true });
  mkdirSync(confDir, { recursive: true });
  // The private directories join the [network] table (TOML allows a table once); this machine
  // has no systemd, hence cgroupfs and file events.
  const base = containersConf || DEFAULT_CONTAINERS_CONF;
  if (!base.includes('[network]\n')) throw new Error('containers.conf needs a [network] table');
  writeFileSync(
    host.path('containers.conf'),
    [
      base.replace(
        '[network]\n',
        `[network]\ncni_plugin_dirs = ["${binDir}", "${CNI_PLUGINS}"]\nnetwork_config_dir = "${confDir}"\n`,
      ),
      '[engine]',
      `tmp_dir = "${host.path('tmp')}"`,
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      'runtime = "runc"',
      '',
    ].join('\n'),
  );
  writeFileSync(host.path('registries.conf'), 'unqualified-search-registries = []\n');
  writeFileSync(
    host.path('storage.conf'),
    `[storage]\ndriver = "vfs"\ngraphroot = "${host.path('storage')}"\nrunroot = "${host.path('runroot')}"\n`,
  );
  const env = {
    ...process.env,
    CONTAINERS_CONF: host.path('containers.conf'),
    CONTAINERS_REGISTRIES_CONF: host.path('registries.conf'),
    CONTAINERS_STORAGE_CONF: host.path('storage.conf'),
  };
  const podman = (...args: string[]): string => host.run(PODMAN, args, env).trim();
  podman('import', host.busyboxTar(), PODMAN_IMAGE);
  return { podman, env, confDir, binDir };
}

/**
 * `npm run install-cli` into the host's own prefix (`<dir>/prefix/bin`, returned) and the CNI
 * plugin directory podman reads first.
 */
export function installCli(host: EngineHost, engine: PodmanEngine): string {
  execFileSync(process.execPath, [INSTALL_CLI], {
    env: { ...process.env, PREFIX: host.path('prefix'), CNI_BIN_DIR: engine.binDir },
    stdio: 'ignore',
  });
  return host.path('prefix', 'bin');
}
