// `wasmnet daemon` as a process: API and Docker plugin sockets, JSON-line logs, clean SIGTERM
// with state kept. Plumbs inside a private "host" namespace made by the controller's fixture.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { makeHost } from '../controller/fixtures.js';
import { needsRoot } from '../support/root.js';
import { raw } from '../api/helpers.js';
import { cli } from './helpers.js';

const MAIN = fileURLToPath(new URL('../../host/cli/main.js', import.meta.url));

const cliAt = (socket: string, ...args: string[]) => cli(['--socket', socket, ...args]);

function startDaemon(host: ReturnType<typeof makeHost>, socket: string, ...options: string[]) {
  const child = spawn(
    process.execPath,
    [
      MAIN,
      'daemon',
      '--socket',
      socket,
      '--data-dir',
      join(host.dir, 'daemon'),
      '--host-netns',
      host.host.path as string,
      '--docker-plugins-dir',
      join(host.dir, 'plugins'),
      '--log-level',
      'debug',
      ...options,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let logs = '';
  child.stderr.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, logs: () => logs };
}

async function waitFor(path: string, daemon: { logs(): string }): Promise<void> {
  for (let i = 0; i < 300; i += 1) {
    if (existsSync(path)) return;
    await sleep(50);
  }
  throw new Error(`no socket ${path}; logs:\n${daemon.logs()}`);
}

test('the daemon serves the API and the Docker plugin, logs JSON lines, stops cleanly on SIGTERM keeping state', {
  ...needsRoot,
  timeout: 90_000,
}, async (t) => {
  const host = makeHost('dmn');
  t.after(() => host.cleanup());
  const socket = join(host.dir, 'run', 'wasmnet.sock');
  const first = startDaemon(host, socket);
  t.after(() => void first.child.kill('SIGKILL'));
  await waitFor(socket, first);
  assert.equal(statSync(socket).mode & 0o777, 0o600);
  const created = await cliAt(socket, 'network', 'create', '--subnet', '10.124.0.0/24', 'kept');
  assert.equal(created.code, 0, `${created.stderr}\n${first.logs()}`);
  assert.match((await cliAt(socket, 'driver', 'ls')).stdout, /^NAME/);
  const activate = await raw(join(host.dir, 'plugins', 'wasmnet.sock'), 'POST', '/Plugin.Activate', '');
  assert.deepEqual(activate.json, { Implements: ['NetworkDriver', 'IpamDriver'] });
  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0, first.logs());
  assert.equal(existsSync(socket), false, 'socket removed');
  const lines = first
    .logs()
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { level: string; msg: string; time: string });
  assert.ok(lines.some((l) => l.msg === 'api listening'));
  assert.ok(lines.some((l) => l.msg === 'stopped'));
  const second = startDaemon(host, socket);
  t.after(() => void second.child.kill('SIGKILL'));
  await waitFor(socket, second);
  const ls = await cliAt(socket, 'network', 'ls');
  assert.match(ls.stdout, /kept\s+bridge\s+10\.124\.0\.0\/24/, `${ls.stderr}\n${second.logs()}`);
  assert.equal((await cliAt(socket, 'network', 'rm', 'kept')).code, 0);
  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0);
});

test('SIGTERM under load stops within the shutdown grace; the next start finishes or undoes what was cut short', {
  ...needsRoot,
  timeout: 120_000,
}, async (t) => {
  const host = makeHost('dgr');
  t.after(() => host.cleanup());
  const socket = join(host.dir, 'run', 'wasmnet.sock');
  // A grace shorter than any operation: whatever is in flight at the signal is cut short.
  const first = startDaemon(host, socket, '--shutdown-grace', '0.001');
  t.after(() => void first.child.kill('SIGKILL'));
  await waitFor(socket, first);
  assert.equal((await cliAt(socket, 'network', 'create', '--subnet', '10.125.0.0/24', 'load')).code, 0);
  // Endpoint lifecycles in flight when the signal comes: twenty clients each create and connect
  // sandboxes until the daemon stops answering, and the signal comes once connects are flowing.
  let connected = 0;
  const client = async (i: number): Promise<void> => {
    for (let k = 0; ; k += 1) {
      if ((await cliAt(socket, 'sandbox', 'create', `c${i}-${k}`)).code !== 0) return;
      if ((await cliAt(socket, 'network', 'connect', 'load', `c${i}-${k}`)).code !== 0) return;
      connected += 1;
    }
  };
  let running = 20;
  const load = Array.from({ length: running }, (_, i) => client(i).finally(() => (running -= 1)));
  while (connected < 10) {
    assert.ok(running > 0, `the clients stopped before the signal:\n${first.logs()}`);
    await sleep(10);
  }
  first.child.kill('SIGTERM');
  assert.equal(await first.exited, 0, first.logs());
  await Promise.all(load);
  assert.match(first.logs(), /operations still running after the shutdown grace/);
  const second = startDaemon(host, socket);
  t.after(() => void second.child.kill('SIGKILL'));
  // The killed daemon's socket file is there already: wait for the new daemon's answer.
  for (let i = 0; (await cliAt(socket, 'network', 'ls')).code !== 0; i += 1) {
    if (i > 300) throw new Error(`the daemon did not answer:\n${second.logs()}`);
    await sleep(50);
  }
  // Every endpoint left is whole: joined to a sandbox that lists it.
  const sandboxes = JSON.parse((await cliAt(socket, '--format', 'json', 'sandbox', 'ls')).stdout) as Array<{
    id: string;
    endpoints: string[];
  }>;
  const endpoints = JSON.parse((await cliAt(socket, '--format', 'json', 'endpoint', 'ls', 'load')).stdout) as Array<{
    id: string;
    sandboxId?: string;
  }>;
  for (const endpoint of endpoints)
    if (endpoint.sandboxId !== undefined)
      assert.ok(
        sandboxes.find((s) => s.id === endpoint.sandboxId)?.endpoints.includes(endpoint.id),
        `endpoint ${endpoint.id} is listed by its sandbox`,
      );
  for (const sandbox of sandboxes) assert.equal((await cliAt(socket, 'sandbox', 'rm', sandbox.id)).code, 0);
  const rm = await cliAt(socket, 'network', 'rm', '--force', 'load');
  assert.equal(rm.code, 0, `${rm.stderr}\n${second.logs()}`);
  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0, second.logs());
});
