// The daemon's sockets across outages: systemd's socket activation, tested without systemd by
// passing listening sockets the same way (fds 3 and 4, LISTEN_FDS, LISTEN_PID set to the
// daemon's own pid by exec'ing through sh, LISTEN_FDNAMES): a request made while the daemon
// restarts waits and succeeds. Without activation, a killed daemon's stale socket is removed
// at start, and a live daemon's socket is never taken over.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../host/api/client.js';
import { sys } from '../../host/netlink/libc.js';
import { raw } from '../api/helpers.js';
import { makeHost } from '../controller/fixtures.js';
import { listeningSocket } from '../support/listening-socket.js';
import { needsRoot } from '../support/root.js';

const MAIN = fileURLToPath(new URL('../../host/cli/main.js', import.meta.url));

interface Daemon {
  exited: Promise<number | null>;
  logs(): string;
  kill(signal: NodeJS.Signals): void;
}

/** The daemon, with `fds` as its fds 3, 4, … and systemd's variables naming them. */
function startDaemon(
  host: ReturnType<typeof makeHost>,
  dataDir: string,
  fds: Array<[name: string, fd: number]> = [],
): Daemon {
  const args = [
    MAIN,
    'daemon',
    '--socket',
    join(host.dir, 'api.sock'),
    '--data-dir',
    join(host.dir, dataDir),
    '--host-netns',
    host.host.path as string,
    '--docker-plugin',
    'wn',
    '--docker-plugins-dir',
    join(host.dir, 'plugins'),
    '--log-level',
    'debug',
  ];
  // As systemd-socket-activate does: LISTEN_PID is the pid of the process that execs the daemon.
  const child = spawn('sh', ['-c', 'export LISTEN_PID=$$; exec "$0" "$@"', process.execPath, ...args], {
    stdio: ['ignore', 'ignore', 'pipe', ...fds.map(([, fd]) => fd)],
    env: {
      ...process.env,
      ...(fds.length === 0 ? {} : { LISTEN_FDS: String(fds.length), LISTEN_FDNAMES: fds.map(([n]) => n).join(':') }),
    },
  });
  let logs = '';
  child.stderr!.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { exited, logs: () => logs, kill: (signal) => void child.kill(signal) };
}

async function until(what: string, ready: () => boolean, daemon: Daemon): Promise<void> {
  for (let i = 0; i < 600; i += 1) {
    if (ready()) return;
    await sleep(50);
  }
  throw new Error(`${what}; logs:\n${daemon.logs()}`);
}

test('socket activation: the daemon serves passed sockets; a request made while it restarts waits and succeeds', {
  ...needsRoot,
  timeout: 120_000,
}, async (t) => {
  const host = makeHost('sda');
  t.after(() => host.cleanup());
  mkdirSync(join(host.dir, 'plugins'), { recursive: true });
  const apiPath = join(host.dir, 'api.sock');
  const pluginPath = join(host.dir, 'plugins', 'wn.sock');
  const fds: Array<[string, number]> = [
    ['api', listeningSocket(apiPath)],
    ['docker', listeningSocket(pluginPath)],
  ];
  t.after(() => {
    for (const [, fd] of fds) sys.close(fd);
    rmSync(apiPath, { force: true });
    rmSync(pluginPath, { force: true });
  });
  const api = new ApiClient(apiPath, 60_000);

  const first = startDaemon(host, 'data', fds);
  t.after(() => first.kill('SIGKILL'));
  // A request sent before the daemon is up waits in the socket's queue.
  const early = await api.post<{ id: string }>('/v1/networks', {
    name: 'held',
    ipam: { config: [{ subnet: '10.77.0.0/24' }] },
  });
  assert.ok(early.id, first.logs());
  assert.match(first.logs(), /"msg":"api listening".*"activated":true/);
  const activate = await raw(pluginPath, 'POST', '/Plugin.Activate', '');
  assert.deepEqual(activate.json, { Implements: ['NetworkDriver', 'IpamDriver'] });

  first.kill('SIGTERM');
  assert.equal(await first.exited, 0, first.logs());
  assert.ok(existsSync(apiPath) && existsSync(pluginPath), 'passed sockets are never removed');

  // The daemon is down: these wait for the next one.
  let answered = false;
  const during = api.get<Array<{ name: string }>>('/v1/networks').finally(() => {
    answered = true;
  });
  const pluginDuring = raw(pluginPath, 'POST', '/NetworkDriver.GetCapabilities', '');
  await sleep(300);
  assert.equal(answered, false, 'no daemon: the request waits');
  const second = startDaemon(host, 'data', fds);
  t.after(() => second.kill('SIGKILL'));
  const networks = await during;
  assert.deepEqual(
    networks.map((n) => n.name),
    ['held'],
    second.logs(),
  );
  assert.deepEqual((await pluginDuring).json, { Scope: 'local', ConnectivityScope: 'local' });
  await api.delete('/v1/networks/held');
  second.kill('SIGTERM');
  assert.equal(await second.exited, 0, second.logs());
});

test('start: a stale socket (nobody listens) is removed; a live one is refused with a typed error', {
  ...needsRoot,
  timeout: 120_000,
}, async (t) => {
  const host = makeHost('sds');
  t.after(() => host.cleanup());
  mkdirSync(join(host.dir, 'plugins'), { recursive: true });
  const apiPath = join(host.dir, 'api.sock');
  // A killed daemon's socket: the file stays, nobody accepts.
  sys.close(listeningSocket(apiPath));
  sys.close(listeningSocket(join(host.dir, 'plugins', 'wn.sock')));
  const first = startDaemon(host, 'one');
  t.after(() => first.kill('SIGKILL'));
  let up = false;
  await until(
    'the daemon did not start over stale sockets',
    () => {
      void new ApiClient(apiPath, 1_000).get('/_ping').then(
        () => {
          up = true;
        },
        () => undefined,
      );
      return up;
    },
    first,
  );
  // Another daemon (another data directory: the lock does not stop it) must not take the socket.
  const second = startDaemon(host, 'two');
  t.after(() => second.kill('SIGKILL'));
  assert.notEqual(await second.exited, 0);
  assert.match(second.logs(), /SocketInUseError|is served by another process/);
  await new ApiClient(apiPath, 5_000).get('/_ping');
  first.kill('SIGTERM');
  assert.equal(await first.exited, 0, first.logs());
});
