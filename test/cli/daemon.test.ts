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

function startDaemon(host: ReturnType<typeof makeHost>, socket: string) {
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
