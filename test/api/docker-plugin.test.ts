import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { DefaultIpam } from '../../ipam/index.js';
import { DockerPlugin } from '../../host/api/docker/plugin.js';
import { DockerPluginServer } from '../../host/api/docker/server.js';
import { StateFile } from '../../host/api/docker/state.js';
import { InMemoryControllerPort } from './fake-controller.js';
import { tempDir } from '../support/temp-dir.js';
import { raw } from './helpers.js';

const NID = 'a'.repeat(64);
const EID = 'b'.repeat(64);

async function setup(t: { after(fn: () => Promise<void>): void }) {
  const dir = tempDir(t, 'wasmnet-api-');
  const port = new InMemoryControllerPort();
  const statePath = join(dir, 'docker-state.json');
  const plugin = new DockerPlugin({ port, ipam: new DefaultIpam({ ula: false }), state: new StateFile(statePath) });
  const call = async (method: string, body?: unknown) =>
    (await plugin.handle(method, body)).body as Record<string, any>;
  return { dir, port, plugin, call, statePath };
}

test('Activate and capabilities use dockerd field names', async (t) => {
  const { call } = await setup(t);
  assert.deepEqual(await call('/Plugin.Activate', null), { Implements: ['NetworkDriver', 'IpamDriver'] });
  assert.deepEqual(await call('/NetworkDriver.GetCapabilities', null), { Scope: 'local', ConnectivityScope: 'local' });
  assert.deepEqual(await call('/IpamDriver.GetCapabilities', null), {
    RequiresMACAddress: false,
    RequiresRequestReplay: false,
  });
  assert.deepEqual(await call('/IpamDriver.GetDefaultAddressSpaces', null), {
    LocalDefaultAddressSpace: 'LocalDefault',
    GlobalDefaultAddressSpace: 'GlobalDefault',
  });
});

test('the sequence dockerd sends for network create, run, stop and rm', async (t) => {
  const { call, port } = await setup(t);
  const pool = await call('/IpamDriver.RequestPool', {
    AddressSpace: 'LocalDefault',
    Pool: '10.50.0.0/24',
    SubPool: '',
    Options: {},
    V6: false,
  });
  assert.deepEqual(pool, { PoolID: 'LocalDefault/10.50.0.0/24', Pool: '10.50.0.0/24', Data: {} });
  const gw = await call('/IpamDriver.RequestAddress', {
    PoolID: pool.PoolID,
    Address: '',
    Options: { RequestAddressType: 'com.docker.network.gateway' },
  });
  assert.equal(gw.Address, '10.50.0.1/24');
  assert.deepEqual(
    await call('/NetworkDriver.CreateNetwork', {
      NetworkID: NID,
      Options: {
        'com.docker.network.enable_ipv6': false,
        'com.docker.network.generic': { 'wasmnet.driver': 'bridge', 'com.docker.network.driver.mtu': '1400' },
      },
      IPv4Data: [{ AddressSpace: 'LocalDefault', Pool: '10.50.0.0/24', Gateway: gw.Address, AuxAddresses: null }],
      IPv6Data: [],
    }),
    {},
  );
  const [network] = await port.listNetworks();
  assert.equal(network!.type, 'bridge');
  assert.deepEqual(network!.driverOptions, { 'com.docker.network.driver.mtu': '1400' });
  assert.equal(network!.labels['com.docker.network.id'], NID);
  const addr = await call('/IpamDriver.RequestAddress', { PoolID: pool.PoolID, Address: '', Options: null });
  assert.equal(addr.Address, '10.50.0.2/24');
  const ep = await call('/NetworkDriver.CreateEndpoint', {
    NetworkID: NID,
    EndpointID: EID,
    Interface: { Address: addr.Address, AddressIPv6: '', MacAddress: '' },
    Options: {},
  });
  assert.match(ep.Interface.MacAddress, /^02:42:/);
  assert.equal(ep.Interface.Address, undefined, 'dockerd refuses a changed address');
  const info = await call('/NetworkDriver.EndpointOperInfo', { NetworkID: NID, EndpointID: EID });
  assert.equal(info.Value.ipv4Address, '10.50.0.2/24');
  const joined = await call('/NetworkDriver.Join', {
    NetworkID: NID,
    EndpointID: EID,
    SandboxKey: '/var/run/docker/netns/abc',
    Options: {},
  });
  assert.deepEqual(joined, { Gateway: '10.50.0.1' });
  const [sandbox] = await port.listSandboxes();
  assert.equal(sandbox!.key, '/var/run/docker/netns/abc');
  assert.deepEqual(
    await call('/NetworkDriver.ProgramExternalConnectivity', { NetworkID: NID, EndpointID: EID, Options: {} }),
    {},
  );
  assert.deepEqual(await call('/NetworkDriver.RevokeExternalConnectivity', { NetworkID: NID, EndpointID: EID }), {});
  assert.deepEqual(await call('/NetworkDriver.Leave', { NetworkID: NID, EndpointID: EID }), {});
  assert.equal((await port.listSandboxes()).length, 0);
  assert.deepEqual(await call('/NetworkDriver.DeleteEndpoint', { NetworkID: NID, EndpointID: EID }), {});
  assert.deepEqual(await call('/IpamDriver.ReleaseAddress', { PoolID: pool.PoolID, Address: addr.Address }), {});
  assert.deepEqual(await call('/NetworkDriver.DeleteNetwork', { NetworkID: NID }), {});
  assert.deepEqual(await call('/IpamDriver.ReleaseAddress', { PoolID: pool.PoolID, Address: gw.Address }), {});
  assert.deepEqual(await call('/IpamDriver.ReleasePool', { PoolID: pool.PoolID }), {});
  assert.equal((await port.listNetworks()).length, 0);
  // Repeated deletes (dockerd retries) succeed.
  assert.deepEqual(await call('/NetworkDriver.DeleteNetwork', { NetworkID: NID }), {});
  assert.deepEqual(await call('/NetworkDriver.DeleteEndpoint', { NetworkID: NID, EndpointID: EID }), {});
});

test('network errors come back in Err, IPAM errors in Error', async (t) => {
  const { call } = await setup(t);
  const netErr = await call('/NetworkDriver.CreateEndpoint', {
    NetworkID: NID,
    EndpointID: EID,
    Interface: null,
    Options: null,
  });
  assert.equal(typeof netErr.Err, 'string');
  assert.equal(netErr.Error, undefined);
  const typeErr = await call('/NetworkDriver.CreateNetwork', { NetworkID: 42 });
  assert.match(typeErr.Err, /NetworkID/);
  const ipamErr = await call('/IpamDriver.RequestAddress', { PoolID: 'LocalDefault/10.9.9.0/24', Address: '' });
  assert.equal(typeof ipamErr.Error, 'string');
  assert.equal(ipamErr.Err, undefined);
  const badPool = await call('/IpamDriver.RequestPool', { AddressSpace: 'Nope' });
  assert.match(badPool.Error, /address space/);
  const unknown = await call('/NetworkDriver.Bogus', {});
  assert.match(unknown.Err, /unknown plugin method/);
});

test('state survives a plugin restart (dockerd replays nothing)', async (t) => {
  const { call, port, statePath } = await setup(t);
  const pool = await call('/IpamDriver.RequestPool', { AddressSpace: 'LocalDefault', Pool: '', V6: false });
  const addr = await call('/IpamDriver.RequestAddress', { PoolID: pool.PoolID, Address: '' });
  await call('/NetworkDriver.CreateNetwork', {
    NetworkID: NID,
    Options: {},
    IPv4Data: [{ AddressSpace: 'LocalDefault', Pool: pool.Pool, Gateway: '' }],
  });
  await call('/NetworkDriver.CreateEndpoint', {
    NetworkID: NID,
    EndpointID: EID,
    Interface: { Address: addr.Address },
  });
  const again = new DockerPlugin({ port, ipam: new DefaultIpam({ ula: false }), state: new StateFile(statePath) });
  await again.restore();
  const taken = (
    await again.handle('/IpamDriver.RequestAddress', { PoolID: pool.PoolID, Address: addr.Address.split('/')[0] })
  ).body as Record<string, string>;
  assert.match(taken.Error!, /allocated/i);
  const info = (await again.handle('/NetworkDriver.EndpointOperInfo', { NetworkID: NID, EndpointID: EID })).body as {
    Value: { ipv4Address: string };
  };
  assert.equal(info.Value.ipv4Address, addr.Address);
});

test('served on a unix socket as dockerd calls it (POST, no Content-Type)', async (t) => {
  const { dir, plugin } = await setup(t);
  const server = await DockerPluginServer.listen(plugin, join(dir, 'plugins', 'wasmnet.sock'));
  t.after(() => server.close());
  const reply = await raw(server.socketPath, 'POST', '/Plugin.Activate', '', {
    accept: 'application/vnd.docker.plugins.v1.2+json',
  });
  assert.equal(reply.status, 200);
  assert.equal(reply.headers['content-type'], 'application/vnd.docker.plugins.v1+json');
  assert.deepEqual(reply.json, { Implements: ['NetworkDriver', 'IpamDriver'] });
  const bad = await raw(server.socketPath, 'POST', '/NetworkDriver.CreateNetwork', '{oops');
  assert.equal(bad.status, 400);
  assert.match(bad.json.Err, /malformed JSON/);
  assert.equal((await raw(server.socketPath, 'GET', '/Plugin.Activate')).status, 405);
});
