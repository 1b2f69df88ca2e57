// A private world for real container engines: a directory and a network namespace made for one
// test, in which every process the test starts runs (nsenter), so the engines and wasmnet never
// touch the machine's own network. cleanup() stops those processes by pid, unmounts what they
// left under the directory, and deletes the namespace and the directory.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../host/api/client.js';
import { DOCKER_PLUGINS_DIR } from '../../host/api/docker/server.js';
import { createNetns, deleteNetns, Rtnl, sysctlSet } from '../../host/netlink/index.js';

export const BUSYBOX = '/bin/busybox';
const WASMNET = fileURLToPath(new URL('../../host/cli/main.js', import.meta.url));

export interface Proc {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  logPath: string;
}

export class EngineHost {
  readonly #procs: Proc[] = [];
  /** Machine paths an engine creates by itself, absent before the test (removed in cleanup). */
  readonly #strays: string[] = [];

  private constructor(
    readonly dir: string,
    readonly netns: string,
  ) {}

  /** Short paths: unix socket paths must stay under 108 bytes. */
  static create(label: string): EngineHost {
    const dir = `/run/wasmnet-${label}-${process.pid}`;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // A new namespace inherits the machine's IPv4 forwarding; a fresh host boots with it off, and
    // a stock dockerd sets FORWARD to DROP only when it has to turn forwarding on itself.
    const netns = createNetns(dir, 'net', (ns) => {
      new Rtnl(ns).linkSet('lo', { up: true });
      sysctlSet(ns, 'ip-forward', undefined, '0');
    });
    return new EngineHost(dir, netns.path as string);
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /**
   * Removes these paths in cleanup unless they exist already (engines' fixed state directories);
   * what other tests' engines keep there stays.
   */
  strays(...paths: string[]): void {
    this.#strays.push(...paths.filter((path) => !existsSync(path)));
  }

  /** Starts `command` inside the namespace; its output goes to `<dir>/<name>.log`. */
  spawn(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Proc {
    const logPath = this.path(`${name}.log`);
    const log = openSync(logPath, 'a');
    const child = spawn('nsenter', [`--net=${this.netns}`, command, ...args], { stdio: ['ignore', log, log], env });
    closeSync(log);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const proc = { name, child, exited, logPath };
    this.#procs.push(proc);
    return proc;
  }

  /** Runs `command` inside the namespace to completion and returns its stdout. */
  run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
    return execFileSync('nsenter', [`--net=${this.netns}`, command, ...args], {
      encoding: 'utf8',
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  /** A root filesystem of busybox-static with the applets the tests use, as a tar to import (made once). */
  busyboxTar(): string {
    const tar = this.path('busybox.tar');
    if (existsSync(tar)) return tar;
    const root = this.path('busybox-root');
    mkdirSync(`${root}/bin`, { recursive: true });
    copyFileSync(BUSYBOX, `${root}/bin/busybox`);
    for (const applet of ['sh', 'ping', 'sleep', 'ip', 'true']) symlinkSync('busybox', `${root}/bin/${applet}`);
    execFileSync('tar', ['-C', root, '-cf', tar, '.']);
    return tar;
  }

  /** `ip -j ARGS` in the namespace. */
  ip<T>(...args: string[]): T {
    return JSON.parse(this.run('ip', ['-j', ...args]) || '[]') as T;
  }

  /** The wasmnet daemon, serving the Docker plugin `plugin` (or none), with more daemon options. */
  startWasmnet(plugin: string | undefined, ...options: string[]): Proc {
    // The plugin socket goes where dockerd looks: /run/docker/plugins.
    if (plugin !== undefined) this.strays('/run/docker');
    const args = [
      WASMNET,
      'daemon',
      '--socket',
      this.path('wasmnet.sock'),
      '--data-dir',
      this.path('wasmnet'),
      '--log-level',
      'debug',
      ...options,
    ];
    return this.spawn(
      'wasmnet',
      process.execPath,
      plugin === undefined ? [...args, '--no-docker-plugin'] : [...args, '--docker-plugin', plugin],
    );
  }

  /**
   * startWasmnet, then waits until the daemon answers on its API socket (a killed daemon's
   * socket file may be there already) and its plugin socket exists.
   */
  async runWasmnet(plugin: string | undefined, ...options: string[]): Promise<Proc> {
    const daemon = this.startWasmnet(plugin, ...options);
    const api = new ApiClient(this.path('wasmnet.sock'), 2_000);
    let answered = false;
    await waitUntil(
      'wasmnet',
      () => {
        if (!answered)
          void api.get('/_ping').then(
            () => {
              answered = true;
            },
            () => undefined,
          );
        return answered && (plugin === undefined || existsSync(`${DOCKER_PLUGINS_DIR}/${plugin}.sock`));
      },
      () => this.log(daemon),
    );
    return daemon;
  }

  /** Signals one of this host's processes and waits for it to exit (SIGKILL after `graceMs`). */
  async stop(proc: Proc, graceMs = 20_000): Promise<void> {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
    proc.child.kill('SIGTERM');
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
    await proc.exited;
    clearTimeout(timer);
  }

  log(proc: Proc): string {
    return existsSync(proc.logPath) ? readFileSync(proc.logPath, 'utf8') : '';
  }

  async cleanup(): Promise<void> {
    for (const proc of [...this.#procs].reverse()) await this.stop(proc);
    for (const mount of mountsUnder(this.dir)) {
      try {
        execFileSync('umount', ['-l', mount], { stdio: 'ignore' });
      } catch {
        // Already gone with a parent mount.
      }
    }
    deleteNetns(this.netns);
    rmSync(this.dir, { recursive: true, force: true });
    for (const path of this.#strays) removeOwnStray(path);
  }
}

/**
 * Removes a machine path an engine made, but not what another test's engines still keep in it
 * (other tests run at the same time: their plugin sockets in /run/docker/plugins, their shims'
 * sockets in /run/containerd): a directory goes only once empty, bottom up; a file goes.
 */
function removeOwnStray(path: string): void {
  let stat: ReturnType<typeof lstatSync>;
  try {
    stat = lstatSync(path);
  } catch {
    return;
  }
  if (!stat.isDirectory()) {
    rmSync(path, { force: true });
    return;
  }
  for (const entry of readdirSync(path)) {
    const child = join(path, entry);
    if (lstatSync(child).isDirectory()) removeOwnStray(child);
  }
  try {
    rmdirSync(path);
  } catch {
    // Not empty: someone else's files are still in it.
  }
}

/** Mount points below `dir`, deepest first. */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((mount) => mount.startsWith(`${dir}/`) && mount !== `${dir}/net`)
    .sort((a, b) => b.length - a.length);
}

/** Polls `ready` until it holds (engines take a moment to come up). */
export async function waitUntil(
  what: string,
  ready: () => boolean,
  describe: () => string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up:\n${describe()}`);
    await sleep(50);
  }
}
