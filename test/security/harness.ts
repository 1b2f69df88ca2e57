// The attack bench of test/security/: a real `wasmnet daemon` process plumbing inside a private
// "host" namespace, a neighbour that keeps using the built-in bridge while an attack runs and
// counts its failed calls, and a snapshot of the host namespace to compare before and after.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ApiClient, ApiClientError } from '../../host/api/client.js';
import { makeHost, type TestHost } from '../controller/fixtures.js';
import { ipState } from '../netlink/helpers.js';

const MAIN = fileURLToPath(new URL('../../host/cli/main.js', import.meta.url));

export interface Daemon {
  host: TestHost;
  /** The private namespace the daemon treats as the host's. */
  hostNetns: string;
  socket: string;
  dataDir: string;
  driversDir: string;
  api: ApiClient;
  child: ChildProcess;
  logs(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null when killed). */
  stop(graceMs?: number): Promise<number | null>;
}

/** Starts a daemon on a private host namespace; everything it made goes in `t.after`. */
export async function startDaemon(
  t: { after(fn: () => unknown): void },
  label: string,
  extraArgs: string[] = [],
): Promise<Daemon> {
  const host = makeHost(label);
  // After hooks run in the order they were added: one hook stops the daemon, then removes the
  // host with the sandbox namespaces the daemon left (a failed test may leave some).
  host.namespaceDir(join('daemon', 'netns'));
  let daemon: Daemon | undefined;
  t.after(async () => {
    await daemon?.stop(2_000);
    host.cleanup();
  });
  daemon = await spawnDaemon(host, extraArgs);
  return daemon;
}

/**
 * Starts a daemon on `host` (its namespace, data directory and socket under `host.dir`: the same
 * every time, so a daemon killed there can be started again on its state). The caller stops it
 * and removes the host.
 */
export async function spawnDaemon(host: TestHost, extraArgs: string[] = []): Promise<Daemon> {
  const socket = join(host.dir, 'run', 'wasmnet.sock');
  const dataDir = join(host.dir, 'daemon');
  const driversDir = join(dataDir, 'drivers');
  mkdirSync(driversDir, { recursive: true });
  // A daemon killed here before left its socket file: wait for the new one.
  rmSync(socket, { force: true });
  const child = spawn(
    process.execPath,
    [
      MAIN,
      'daemon',
      '--socket',
      socket,
      '--data-dir',
      dataDir,
      '--drivers-dir',
      driversDir,
      '--host-netns',
      host.host.path as string,
      '--docker-plugins-dir',
      join(host.dir, 'plugins'),
      ...extraArgs,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let logs = '';
  child.stdout?.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const stop = async (graceMs = 10_000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  for (let i = 0; !existsSync(socket); i++) {
    if (i > 600 || child.exitCode !== null) {
      await stop(0);
      throw new Error(`the daemon did not start; logs:\n${logs}`);
    }
    await sleep(50);
  }
  return {
    host,
    hostNetns: host.host.path as string,
    socket,
    dataDir,
    driversDir,
    api: new ApiClient(socket, 30_000),
    child,
    logs: () => logs,
    stop,
  };
}

/** Sysctls a driver could reach host-wide, read inside the namespace at `path`. */
const WATCHED_SYSCTLS = ['net/ipv4/ip_forward', 'net/ipv6/conf/all/forwarding', 'net/ipv4/conf/all/rp_filter'];

/** Where Debian's nftables puts its CLI; without it the ruleset is not compared. */
const NFT = '/usr/sbin/nft';

/**
 * What an attack must leave unchanged in a namespace: its links, addresses, routes, the watched
 * sysctls and, where `nft` is installed, its ruleset without counters (read through nsenter,
 * independently of wasmnet's own code).
 */
export function namespaceState(path: string): string {
  const sysctls = WATCHED_SYSCTLS.map((key) => {
    const value = execFileSync('nsenter', [`--net=${path}`, 'cat', join('/proc/sys', key)], { encoding: 'utf8' });
    return `${key}=${value.trim()}`;
  });
  const nft = existsSync(NFT) ? nftRules(path) : 'nft not installed';
  return JSON.stringify({ ip: JSON.parse(ipState(path)) as unknown, sysctls, nft });
}

/**
 * The namespace's nftables rules and set elements, without counters or handles. Tables and
 * chains are left out: the empty table the host's firewall makes on first use is its own.
 */
function nftRules(path: string): unknown[] {
  const listed = execFileSync('nsenter', [`--net=${path}`, NFT, '--stateless', '--json', 'list', 'ruleset'], {
    encoding: 'utf8',
  });
  const items = (JSON.parse(listed) as { nftables: Array<Record<string, Record<string, unknown>>> }).nftables;
  return items.flatMap(({ rule, set }): unknown[] => {
    if (rule !== undefined) return [{ ...rule, handle: undefined }];
    return set?.elem === undefined ? [] : [{ set: set.name, elem: set.elem }];
  });
}

/** The namespace the tests run in (the machine's own): wasmnet must never touch it. */
export function machineState(): string {
  return JSON.stringify({
    ip: JSON.parse(ipState('/proc/self/ns/net')) as unknown,
    forward: readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(),
  });
}

/**
 * A neighbour on the built-in bridge: until stopped, it creates a sandbox, connects it to its own
 * network, disconnects and removes it, again and again, and counts the calls that failed.
 */
export function neighbour(
  daemon: Daemon,
  subnet: string,
): { stop(): Promise<{ lifecycles: number; failures: string[] }> } {
  const network = `neighbour-${process.pid}`;
  const failures: string[] = [];
  let lifecycles = 0;
  let running = true;
  const loop = (async () => {
    try {
      await daemon.api.post('/v1/networks', { name: network, driver: 'bridge', ipam: { config: [{ subnet }] } });
    } catch (error) {
      failures.push(`create network: ${String(error)}`);
      return;
    }
    // A test that fails before it stops the neighbour stops the daemon in its after hook: end with it.
    const daemonAlive = (): boolean => daemon.child.exitCode === null && daemon.child.signalCode === null;
    for (let i = 0; running && daemonAlive(); i++) {
      const sandbox = `nb-${i}`;
      const endpoint = `nb-ep-${i}`;
      const step = async (what: string, call: () => Promise<unknown>): Promise<boolean> => {
        try {
          await call();
          return true;
        } catch (error) {
          failures.push(`${what} ${i}: ${String(error)}`);
          return false;
        }
      };
      const made = await step('sandbox create', () => daemon.api.post('/v1/sandboxes', { containerId: sandbox }));
      const joined =
        made &&
        (await step('endpoint create', () =>
          daemon.api.post(`/v1/networks/${network}/endpoints`, { name: endpoint }),
        )) &&
        (await step('join', () => daemon.api.post(`/v1/networks/${network}/endpoints/${endpoint}/join`, { sandbox })));
      if (joined) {
        await step('leave', () => daemon.api.post(`/v1/networks/${network}/endpoints/${endpoint}/leave`, { sandbox }));
        await step('endpoint delete', () => daemon.api.delete(`/v1/networks/${network}/endpoints/${endpoint}`));
      }
      if (made) await step('sandbox delete', () => daemon.api.delete(`/v1/sandboxes/${sandbox}`));
      lifecycles += 1;
    }
    await daemon.api.delete(`/v1/networks/${network}`).catch((error: unknown) => {
      failures.push(`delete network: ${String(error)}`);
    });
  })();
  return {
    stop: async () => {
      // An attack refused at once must not stop the neighbour before its first lifecycle.
      const alive = (): boolean => daemon.child.exitCode === null && daemon.child.signalCode === null;
      while (lifecycles === 0 && failures.length === 0 && alive()) await sleep(10);
      running = false;
      await loop;
      return { lifecycles, failures };
    },
  };
}

/**
 * The verdict every attack ends with: the neighbour saw no failed call, the daemon's host
 * namespace and the machine's own are as they were, and the daemon stops cleanly.
 */
export async function assertUnharmed(o: {
  daemon: Daemon;
  steady: { stop(): Promise<{ lifecycles: number; failures: string[] }> };
  hostBefore: string;
  machineBefore: string;
}): Promise<void> {
  const { lifecycles, failures } = await o.steady.stop();
  assert.deepEqual(failures, []);
  assert.ok(lifecycles > 0, 'the neighbour ran');
  assert.equal(namespaceState(o.daemon.hostNetns), o.hostBefore);
  assert.equal(await o.daemon.stop(), 0);
  assert.equal(machineState(), o.machineBefore);
}

/** An `assert.rejects` check: a typed API error of `status` whose message matches `pattern`. */
export function refusal(status: number, pattern?: RegExp, what = ''): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ApiClientError, `${what}: ${String(error)}`);
    assert.equal(error.status, status, `${what}: HTTP ${error.status} ${error.message}`);
    if (pattern !== undefined) assert.match(error.message, pattern, what);
    return true;
  };
}

/** An API call's answer as "ok" or "STATUS code" (a typed error), for tables of expected refusals. */
export async function answerOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    assert.ok(error instanceof ApiClientError, String(error));
    return `${error.status} ${error.code}`;
  }
}
