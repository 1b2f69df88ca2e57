// systemd's variables as the daemon reads them: meant for another process, ignored; malformed,
// a typed error naming what is wrong; read once and removed from the environment.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listenFds, SocketActivationError } from '../../host/cli/socket-activation.js';

const PID = 4242;

test('socket activation variables: ignored when for another pid, typed errors when malformed, then removed', () => {
  const env = { LISTEN_PID: String(PID + 1), LISTEN_FDS: '2', LISTEN_FDNAMES: 'api:docker', KEPT: 'x' };
  assert.deepEqual(listenFds(env, PID), {}, "another process's sockets");
  assert.deepEqual(env, { KEPT: 'x' }, 'the variables are removed');
  assert.deepEqual(listenFds({}, PID), {}, 'no activation');
  const refused: Array<[Record<string, string>, RegExp]> = [
    [{ LISTEN_FDS: 'two' }, /LISTEN_FDS=two is not a count/],
    [{ LISTEN_FDS: '1', LISTEN_FDNAMES: 'api:docker' }, /names 2 sockets, LISTEN_FDS counts 1/],
    [{ LISTEN_FDS: '1', LISTEN_FDNAMES: 'shell' }, /passed socket "shell": the daemon serves api and docker/],
    [{ LISTEN_FDS: '2', LISTEN_FDNAMES: 'api:api' }, /socket "api" passed twice/],
  ];
  for (const [vars, message] of refused)
    assert.throws(
      () => listenFds({ LISTEN_PID: String(PID), ...vars }, PID),
      (error: unknown) => error instanceof SocketActivationError && message.test(error.message),
      JSON.stringify(vars),
    );
});
