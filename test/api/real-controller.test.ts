// The API and the CLI over the real Controller (ControllerAdapter), in private namespaces made by
// the controller's test fixture (its own "host" namespace; nothing plumbed in the machine's).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DefaultIpam } from '../../ipam/index.js';
import { ControllerAdapter } from '../../host/api/controller-adapter.js';
import { DockerPlugin } from '../../host/api/docker/plugin.js';
import { StateFile } from '../../host/api/docker/state.js';
import { ApiServer } from '../../host/api/server.js';
import { createNetns } from '../../host/netlink/index.js';
import { ipJson, makeHost, ping, type IpAddr } from '../controller/fixtures.js';
import { cli } from '../cli/helpers.js';
import { buildAsFixture } from '../drivers/as-fixtures.js';
import { needsRoot } from '../support/root.js';

const cliAt = (socket: string, ...args: string[]) => cli(['--socket', socket, ...args]);

test('CLI → API → real controller: two sandboxes on a bridge network ping each other', needsRoot, async (t) => {
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
  const [network] = JSON.parse((await cliAt(s, 'network', 'inspect', 'apinet')).stdout) as Array<{
    endpoints: Array<{ ipv4Address: string; sandboxKey: string; interfaceName: string }>;
  }>;
  const [a, b] = network!.endpoints;
  assert.equal(a!.interfaceName, 'eth0');
  assert.ok(ping(a!.sandboxKey, b!.ipv4Address.split('/')[0]!), 'c1 reaches c2');
  const dup = await cliAt(s, 'network', 'create', 'apinet');
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /already exists \[network-name\]/);
  const busy = await cliAt(s, 'network', 'rm', 'apinet');
  assert.match(busy.stderr, /\[active-endpoints\]/);
  assert.match(
    (await cliAt(s, 'ipam', 'ls')).stdout,
    /apinet\s+LocalDefault\s+10\.123\.0\.0\/24\s+10\.123\.0\.1\/24\s+3\/256/,
  );
  for (const c of ['c1', 'c2']) assert.equal((await cliAt(s, 'network', 'disconnect', 'apinet', c)).code, 0);
  for (const c of ['c1', 'c2']) assert.equal((await cliAt(s, 'sandbox', 'rm', c)).code, 0);
  assert.equal((await cliAt(s, 'network', 'rm', 'apinet')).code, 0);
  assert.equal(controller.networks().length, 0);
  assert.equal(controller.sandboxes().length, 0);
});

test(
  "Docker plugin → real controller: dockerd's network and endpoint calls map onto wasmnet objects",
  needsRoot,
  async (t) => {
    const host = makeHost('dkr');
    t.after(() => host.cleanup());
    const controller = await host.controller();
    t.after(() => controller.close());
    const plugin = new DockerPlugin({
      port: new ControllerAdapter(controller),
      ipam: new DefaultIpam({ ula: false }),
      state: new StateFile(join(host.dir, 'docker.json')),
    });
    const call = async (method: string, body: unknown) =>
      (await plugin.handle(method, body)).body as Record<string, any>;
    const nid = 'd'.repeat(64);
    const eid = 'e'.repeat(64);
    const pool = await call('/IpamDriver.RequestPool', { AddressSpace: 'LocalDefault', Pool: '10.126.0.0/24' });
    const gw = await call('/IpamDriver.RequestAddress', {
      PoolID: pool.PoolID,
      Address: '',
      Options: { RequestAddressType: 'com.docker.network.gateway' },
    });
    assert.deepEqual(
      await call('/NetworkDriver.CreateNetwork', {
        NetworkID: nid,
        Options: { 'com.docker.network.generic': {} },
        IPv4Data: [{ AddressSpace: 'LocalDefault', Pool: pool.Pool, Gateway: gw.Address }],
      }),
      {},
    );
    const [network] = controller.networks();
    assert.equal(network!.info().ipv4[0]!.pool, '10.126.0.0/24');
    assert.equal(network!.info().ipv4[0]!.gateway, '10.126.0.1/24');
    const addr = await call('/IpamDriver.RequestAddress', { PoolID: pool.PoolID, Address: '' });
    const ep = await call('/NetworkDriver.CreateEndpoint', {
      NetworkID: nid,
      EndpointID: eid,
      Interface: { Address: addr.Address },
    });
    assert.match(ep.Interface.MacAddress, /^02:42:0a:7e:00:02$/);
    assert.equal(network!.endpoints()[0]!.info().ipv4Address, '10.126.0.2/24');
    // dockerd's namespace does not exist yet at Join: the interface is handed over for dockerd to move.
    const joined = await call('/NetworkDriver.Join', {
      NetworkID: nid,
      EndpointID: eid,
      SandboxKey: '/var/run/docker/netns/x',
    });
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
  },
);

test(
  'CLI → API → real controller: a sandbox on an existing namespace, with a chosen interface name',
  needsRoot,
  async (t) => {
    const host = makeHost('ext');
    const existing = host.namespaceDir('engine');
    t.after(() => host.cleanup());
    const netns = createNetns(existing, 'mine').path as string;
    const controller = await host.controller();
    t.after(() => controller.close());
    const server = await ApiServer.listen(new ControllerAdapter(controller), {
      socketPath: join(host.dir, 'api.sock'),
    });
    t.after(() => server.close());
    const s = server.socketPath;
    assert.equal((await cliAt(s, 'network', 'create', '--subnet', '10.127.0.0/24', 'extnet')).code, 0);
    assert.equal((await cliAt(s, 'sandbox', 'create', '--netns', netns, 'c1')).code, 0);
    assert.equal((await cliAt(s, 'sandbox', 'create', 'c2')).code, 0);
    const connected = await cliAt(s, 'network', 'connect', '--interface', 'net5', 'extnet', 'c1');
    assert.equal(connected.code, 0, connected.stderr);
    assert.equal((await cliAt(s, 'network', 'connect', 'extnet', 'c2')).code, 0);
    assert.match((await cliAt(s, 'sandbox', 'ls')).stdout, new RegExp(`c1\\s+${netns}\\s+1`));
    assert.deepEqual(
      ipJson<IpAddr[]>(netns, 'addr').map((a) => a.ifname),
      ['lo', 'net5'],
    );
    assert.ok(ping(netns, '10.127.0.3'));
    const bad = await cliAt(s, 'sandbox', 'create', '--netns', '/proc/nonexistent/ns', 'c3');
    assert.equal(bad.code, 0, 'a missing external namespace is accepted: the engine may make it later');
    const missing = await cliAt(s, 'network', 'connect', 'extnet', 'c3');
    assert.notEqual(missing.code, 0, 'joining a namespace that does not exist fails');
    assert.equal((await cliAt(s, 'network', 'create', '--subnet', '10.127.1.0/24', 'extnet2')).code, 0);
    const dup = await cliAt(s, 'network', 'connect', '--interface', 'net5', 'extnet2', 'c1');
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /\[interface-exists\]/);
    assert.equal(
      controller.networkByName('extnet')!.endpoints().length + controller.networkByName('extnet2')!.endpoints().length,
      2,
      'failed connects left no endpoint',
    );
    assert.equal((await cliAt(s, 'network', 'rm', 'extnet2')).code, 0);
    for (const c of ['c1', 'c2', 'c3']) {
      await cliAt(s, 'network', 'disconnect', 'extnet', c);
      assert.equal((await cliAt(s, 'sandbox', 'rm', c)).code, 0);
    }
    assert.ok(existsSync(netns), 'the existing namespace stays');
    assert.deepEqual(
      ipJson<IpAddr[]>(netns, 'addr').map((a) => a.ifname),
      ['lo'],
    );
    assert.equal((await cliAt(s, 'network', 'rm', 'extnet')).code, 0);
  },
);

test(
  'API → real controller: a driver backing off after repeated faults shows how long until it may restart',
  needsRoot,
  async (t) => {
    const host = makeHost('backoff');
    t.after(() => host.cleanup());
    const driversDir = join(host.dir, 'drivers');
    mkdirSync(driversDir);
    writeFileSync(join(driversDir, 'amnesic.wasm'), await buildAsFixture('amnesic'));
    const controller = await host.controller({ drivers: undefined, driversDir });
    t.after(() => controller.close());
    const adapter = new ControllerAdapter(controller, controller.runtime);
    const network = await controller.newNetwork('amnesic', 'mem', { ipam: { config: [{ subnet: '10.83.0.0/24' }] } });
    // The slot's backoff runs on Date.now(): frozen here, the delay reads exactly.
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    for (const name of ['t1', 't2'])
      await assert.rejects(network.createEndpoint(name, { options: { trap: 'now' } }), /trapped/);
    const backingOff = await adapter.inspectDriver('amnesic');
    assert.equal(backingOff.consecutiveFaults, 2);
    assert.equal(backingOff.retryAfterMs, 100, 'the second fault in a row waits the base backoff (100 ms)');
    t.mock.timers.tick(100);
    const ep = await network.createEndpoint('after');
    const recovered = await adapter.inspectDriver('amnesic');
    assert.equal(recovered.consecutiveFaults, 0);
    assert.equal(recovered.retryAfterMs, undefined);
    t.mock.timers.reset();
    await ep.delete();
    await network.delete();
  },
);
