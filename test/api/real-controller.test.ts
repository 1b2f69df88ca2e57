// The API and the CLI over the real Controller (ControllerAdapter), in private namespaces made by
// the controller's test fixture (its own "host" namespace; nothing plumbed in the machine's).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ControllerAdapter } from '../../host/api/controller-adapter.js';
import { ApiServer } from '../../host/api/server.js';
import { makeHost, ping } from '../controller/fixtures.js';
import { cli } from '../cli/helpers.js';

const root = process.getuid?.() === 0;

const cliAt = (socket: string, ...args: string[]) => cli(['--socket', socket, ...args]);

test('CLI → API → real controller: two sandboxes on a bridge network ping each other', { skip: !root && 'needs root (private namespaces)' }, async (t) => {
  const host = makeHost('api');
  t.after(() => host.cleanup());
  const controller = await host.controller();
  t.after(() => controller.close());
  const server = await ApiServer.listen(new ControllerAdapter(controller), { socketPath: join(host.dir, 'api.sock') });
  t.after(() => server.close());
  const s = server.socketPath;
  const created = await cliAt(s, 'network', 'create', '--subnet', '10.123.0.0/24', 'apinet');
  assert.equal(created.code, 0, created.stderr);
  for (const c of ['c1', 'c2']) {
    assert.equal((await cliAt(s, 'sandbox', 'create', c)).code, 0);
    const connected = await cliAt(s, 'network', 'connect', 'apinet', c);
    assert.equal(connected.code, 0, connected.stderr);
  }
  const [network] = JSON.parse((await cliAt(s, 'network', 'inspect', 'apinet')).stdout) as Array<{ endpoints: Array<{ ipv4Address: string; sandboxKey: string; interfaceName: string }> }>;
  const [a, b] = network!.endpoints;
  assert.equal(a!.interfaceName, 'eth0');
  assert.ok(ping(a!.sandboxKey, b!.ipv4Address.split('/')[0]!), 'c1 reaches c2');
  const dup = await cliAt(s, 'network', 'create', 'apinet');
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /already exists \[network-name\]/);
  const busy = await cliAt(s, 'network', 'rm', 'apinet');
  assert.match(busy.stderr, /\[active-endpoints\]/);
  assert.match((await cliAt(s, 'ipam', 'ls')).stdout, /apinet\s+LocalDefault\s+10\.123\.0\.0\/24\s+10\.123\.0\.1\/24\s+3\/256/);
  for (const c of ['c1', 'c2']) assert.equal((await cliAt(s, 'network', 'disconnect', 'apinet', c)).code, 0);
  for (const c of ['c1', 'c2']) assert.equal((await cliAt(s, 'sandbox', 'rm', c)).code, 0);
  assert.equal((await cliAt(s, 'network', 'rm', 'apinet')).code, 0);
  assert.equal(controller.networks().length, 0);
  assert.equal(controller.sandboxes().length, 0);
});
