// The API and the CLI over the real Controller (ControllerAdapter), in private namespaces made by
// the controller's test fixture (its own "host" namespace; nothing plumbed in the machine's).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { DefaultIpam } from '../../ipam/index.js';
import { ControllerAdapter } from '../../host/api/controller-adapter.js';
import { DockerPlugin } from '../../host/api/docker/plugin.js';
import { StateFile } from '../../host/api/docker/state.js';
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

test('Docker plugin → real controller: dockerd\'s network and endpoint calls map onto wasmnet objects', { skip: !root && 'needs root (private namespaces)' }, async (t) => {
  const host = makeHost('dkr');
  t.after(() => host.cleanup());
  const controller = await host.controller();
  t.after(() => controller.close());
  const plugin = new DockerPlugin({ port: new ControllerAdapter(controller), ipam: new DefaultIpam({ ula: false }), state: new StateFile(join(host.dir, 'docker.json')) });
  const call = async (method: string, body: unknown) => (await plugin.handle(method, body)).body as Record<string, any>;
  const nid = 'd'.repeat(64);
  const eid = 'e'.repeat(64);
  const pool = await call('/IpamDriver.RequestPool', { AddressSpace: 'LocalDefault', Pool: '10.126.0.0/24' });
  const gw = await call('/IpamDriver.RequestAddress', { PoolID: pool.PoolID, Address: '', Options: { RequestAddressType: 'com.docker.network.gateway' } });
  assert.deepEqual(await call('/NetworkDriver.CreateNetwork', { NetworkID: nid, Options: { 'com.docker.network.generic': {} }, IPv4Data: [{ AddressSpace: 'LocalDefault', Pool: pool.Pool, Gateway: gw.Address }] }), {});
  const [network] = controller.networks();
  assert.equal(network!.info().ipv4[0]!.pool, '10.126.0.0/24');
  assert.equal(network!.info().ipv4[0]!.gateway, '10.126.0.1/24');
  const addr = await call('/IpamDriver.RequestAddress', { PoolID: pool.PoolID, Address: '' });
  const ep = await call('/NetworkDriver.CreateEndpoint', { NetworkID: nid, EndpointID: eid, Interface: { Address: addr.Address } });
  assert.match(ep.Interface.MacAddress, /^02:42:0a:7e:00:02$/);
  assert.equal(network!.endpoints()[0]!.info().ipv4Address, '10.126.0.2/24');
  // dockerd's namespace does not exist yet at Join: the interface is handed over for dockerd to move.
  const joined = await call('/NetworkDriver.Join', { NetworkID: nid, EndpointID: eid, SandboxKey: '/var/run/docker/netns/x' });
  assert.equal(joined.Err, undefined);
  assert.equal(joined.Gateway, '10.126.0.1');
  assert.equal(joined.InterfaceName.DstPrefix, 'eth');
  assert.equal(network!.endpoints()[0]!.info().handedOver?.srcName, joined.InterfaceName.SrcName);
  assert.equal(controller.sandboxes()[0]!.key(), '/var/run/docker/netns/x');
  assert.deepEqual(await call('/NetworkDriver.Leave', { NetworkID: nid, EndpointID: eid }), {});
  assert.equal(controller.sandboxes().length, 0);
  assert.deepEqual(await call('/NetworkDriver.DeleteEndpoint', { NetworkID: nid, EndpointID: eid }), {});
  assert.deepEqual(await call('/NetworkDriver.DeleteNetwork', { NetworkID: nid }), {});
  assert.equal(controller.networks().length, 0);
});
