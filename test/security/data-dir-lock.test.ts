// Attack: a second daemon on the data directory of a running one, on the same socket and on
// another. It must exit at once with an error naming the directory and the running daemon's
// pid, before it touches the database or the socket; the first keeps serving, its neighbour
// never fails. After the first is SIGKILLed the lock is free again (the kernel drops an flock).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../host/api/client.js';
import { type Daemon, machineState, namespaceState, neighbour, startDaemon } from './harness.js';
import { needsRoot } from '../support/root.js';

const MAIN = fileURLToPath(new URL('../../host/cli/main.js', import.meta.url));

/** Runs another daemon on `daemon`'s data directory; `exited` resolves with its exit code and output. */
function otherDaemon(
  t: { after(fn: () => unknown): void },
  daemon: Daemon,
  socket: string,
): { child: ChildProcess; exited: Promise<{ code: number | null; output: string }> } {
  const child = spawn(
    process.execPath,
    [
      MAIN,
      'daemon',
      '--socket',
      socket,
      '--data-dir',
      daemon.dataDir,
      '--host-netns',
      daemon.hostNetns,
      '--docker-plugins-dir',
      join(daemon.host.dir, 'plugins'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, output })),
  );
  return { child, exited };
}

/** The exit of a daemon that must refuse to start; one still running after `ms` is killed. */
async function refusal(
  run: ReturnType<typeof otherDaemon>,
  ms = 20_000,
): Promise<{ code: number | null; output: string }> {
  const timer = setTimeout(() => run.child.kill('SIGKILL'), ms);
  const result = await run.exited;
  clearTimeout(timer);
  return result;
}

test('a second daemon on a data directory in use exits with a clear error', {
  ...needsRoot,
  timeout: 120_000,
}, async (t) => {
  const machineBefore = machineState();
  const daemon = await startDaemon(t, 'sec-lock');
  const hostBefore = namespaceState(daemon.hostNetns);
  const steady = neighbour(daemon, '10.154.0.0/24');
  t.after(() => steady.stop());
  for (const socket of [daemon.socket, join(daemon.host.dir, 'run', 'second.sock')]) {
    const second = await refusal(otherDaemon(t, daemon, socket));
    assert.equal(second.code, 1, `the second daemon on ${socket} refused to start:\n${second.output}`);
    assert.ok(second.output.includes(daemon.dataDir), second.output);
    assert.ok(second.output.includes(`pid ${daemon.child.pid}`), second.output);
    assert.ok(existsSync(daemon.socket), "the first daemon's socket is still there");
    assert.deepEqual(await daemon.api.get('/_ping'), { ok: true });
  }
  const { lifecycles, failures } = await steady.stop();
  assert.deepEqual(failures, []);
  assert.ok(lifecycles > 0, 'the neighbour ran');
  assert.equal(namespaceState(daemon.hostNetns), hostBefore);

  // SIGKILL leaves no stale lock: a daemon starts on the directory at once.
  daemon.child.kill('SIGKILL');
  await new Promise((resolve) => daemon.child.once('exit', resolve));
  const next = join(daemon.host.dir, 'run', 'next.sock');
  const restarted = otherDaemon(t, daemon, next);
  for (let i = 0; !existsSync(next); i++) {
    assert.ok(i < 600 && restarted.child.exitCode === null, 'a daemon starts after a SIGKILL of the previous one');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.deepEqual(await new ApiClient(next, 10_000).get('/_ping'), { ok: true });
  restarted.child.kill('SIGTERM');
  assert.equal((await restarted.exited).code, 0);
  assert.equal(machineState(), machineBefore);
});
