// The systemd units in packaging/ pass the sockets the daemon serves: the names it knows, at
// the paths it uses by default.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DOCKER_PLUGINS_DIR } from '../../host/api/docker/server.js';
import { DEFAULT_API_SOCKET } from '../../host/api/socket-path.js';
import { SOCKET_NAMES } from '../../host/cli/socket-activation.js';

const unit = (name: string): Record<string, string> => {
  const text = readFileSync(fileURLToPath(new URL(`../../../packaging/${name}`, import.meta.url)), 'utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => /^[A-Za-z]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
};

test('packaging: the socket units pass the API and the Docker plugin sockets, by the names the daemon serves', () => {
  const api = unit('wasmnet.socket');
  const docker = unit('wasmnet-docker.socket');
  assert.deepEqual([api.FileDescriptorName, docker.FileDescriptorName], [...SOCKET_NAMES]);
  assert.equal(api.ListenStream, DEFAULT_API_SOCKET);
  assert.equal(docker.ListenStream, `${DOCKER_PLUGINS_DIR}/wasmnet.sock`);
  for (const socket of [api, docker]) {
    assert.equal(socket.SocketMode, '0600', 'root only, as the daemon makes them');
    assert.equal(socket.Service, 'wasmnet.service');
  }
  const service = unit('wasmnet.service');
  assert.match(service.ExecStart!, /^wasmnet daemon\b/);
  assert.equal(service.Requires, 'wasmnet.socket');
});
