// Attack: requests whose answers were wrong or missing (#17 item 15): a thousand simultaneous
// connections, a pool of every address, a driver file that does not exist, a CLI given two
// sockets. Each gets a typed answer; the neighbour on the built-in bridge never fails.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { answerOf, assertUnharmed, machineState, namespaceState, neighbour, startDaemon } from './harness.js';
import { needsRoot } from '../support/root.js';

const MAIN = fileURLToPath(new URL('../../host/cli/main.js', import.meta.url));

/** GET `path` on a connection of its own; resolves with the status or the error's code. */
function getOnNewConnection(socketPath: string, path: string): Promise<string> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.statusCode)));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.end();
  });
}

test('typed answers to connection floods and bad requests; neighbour and host unaffected', {
  ...needsRoot,
  timeout: 120_000,
}, async (t) => {
  const machineBefore = machineState();
  const daemon = await startDaemon(t, 'sec-api');
  const hostBefore = namespaceState(daemon.hostNetns);
  const steady = neighbour(daemon, '10.155.0.0/24');
  t.after(() => steady.stop());

  await t.test('1 000 simultaneous connections are all answered (listen backlog)', async () => {
    // The daemon stopped while they connect: every connection waits in the listen queue, as
    // when its event loop is busy during a burst of clients.
    daemon.child.kill('SIGSTOP');
    let answers: string[];
    try {
      const pending = Promise.all(Array.from({ length: 1000 }, () => getOnNewConnection(daemon.socket, '/_ping')));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      daemon.child.kill('SIGCONT');
      answers = await pending;
    } finally {
      daemon.child.kill('SIGCONT');
    }
    const failed = answers.filter((answer) => answer !== '200');
    assert.deepEqual(failed, [], `${failed.length} of 1000 failed`);
  });

  await t.test('a pool of every address is an invalid parameter, not a missing service', async () => {
    for (const subnet of ['0.0.0.0/0', '::/0'])
      assert.equal(
        await answerOf(
          daemon.api.post('/v1/networks', {
            name: 'everything',
            enableIPv6: subnet === '::/0',
            ipam: { config: [{ subnet }] },
          }),
        ),
        '400 ErrInvalidPool',
        subnet,
      );
  });

  await t.test('a driver file that does not exist is not found', async () => {
    const path = join(daemon.host.dir, 'no-such-driver.wasm');
    assert.equal(await answerOf(daemon.api.post('/v1/drivers', { path })), '404 no-such-file');
    assert.equal(await answerOf(daemon.api.post('/v1/drivers/bridge/upgrade', { path })), '404 no-such-file');
  });

  await t.test('the CLI given two sockets says so (as Docker answers two -H)', async () => {
    const cli = promisify(execFile);
    const run = cli(process.execPath, [MAIN, '--socket', daemon.socket, '--socket', '/nonexistent', 'network', 'ls']);
    await assert.rejects(run, (error: { code?: number; stderr?: string }) => {
      assert.equal(error.code, 2, String(error.stderr));
      assert.match(String(error.stderr), /specify only one --socket/);
      return true;
    });
  });

  await assertUnharmed({ daemon, steady, hostBefore, machineBefore });
});
