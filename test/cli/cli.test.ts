import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ApiServer } from '../../host/api/server.js';
import { InMemoryControllerPort } from '../api/fake-controller.js';
import { tempDir } from '../support/temp-dir.js';
import { cli } from './helpers.js';

const MAIN = fileURLToPath(new URL('../../host/cli/main.js', import.meta.url));

async function daemon(t: { after(fn: () => Promise<void>): void }) {
  const dir = tempDir(t, 'wasmnet-api-');
  const port = new InMemoryControllerPort();
  const server = await ApiServer.listen(port, { socketPath: join(dir, 'wasmnet.sock') });
  t.after(() => server.close());
  return { port, socket: server.socketPath, env: { WASMNET_SOCKET: server.socketPath } };
}

const HELPS: string[][] = [
  ['--help'],
  ['daemon', '--help'],
  ...['network', 'sandbox', 'driver', 'ipam'].map((g) => [g, '--help']),
  ...['ls', 'create', 'inspect', 'rm', 'connect', 'disconnect'].map((v) => ['network', v, '--help']),
  ...['ls', 'inspect', 'create', 'rm'].map((v) => ['sandbox', v, '--help']),
  ...['ls', 'load', 'upgrade', 'unload', 'inspect'].map((v) => ['driver', v, '--help']),
  ['ipam', 'ls', '--help'],
];

test('every command has help, exit 0', async () => {
  for (const args of HELPS) {
    const r = await cli(args);
    assert.equal(r.code, 0, args.join(' '));
    assert.match(r.stdout, /Usage: wasmnet/, args.join(' '));
  }
  const top = await cli(['--help']);
  for (const name of ['daemon', 'network', 'sandbox', 'driver', 'ipam'])
    assert.match(top.stdout, new RegExp(`\\n  ${name} `));
});

test('usage errors exit 2 with a clear message', async () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /Usage/],
    [['bogus'], /unknown command 'bogus'/],
    [['network', 'frob'], /unknown command 'wasmnet network frob'/],
    [['network', 'create'], /missing NAME/],
    [['network', 'create', 'a', 'b'], /unexpected argument "b"/],
    [['network', 'create', '--nope', 'a'], /Unknown option '--nope'/],
    [['network', 'create', '-o', 'novalue', 'a'], /--opt wants key=value/],
    [['network', 'connect', 'n'], /missing NETWORK and SANDBOX/],
    [['network', 'ls', '--format', 'yaml'], /--format must be table or json/],
    [['network', 'ls', '--socket'], /--socket needs a value/],
    [['daemon', '--log-level', 'loud'], /--log-level must be one of/],
    [['daemon', '--advertise-addr', '192.0.2.1'], /need --cluster-store/],
    [['daemon', '--cluster-store', 'etcd://127.0.0.1:2379'], /needs --advertise-addr/],
    [['daemon', '--cluster-store', 'consul://h:1', '--advertise-addr', '192.0.2.1'], /expected etcd:\/\/HOST:PORT/],
    [['daemon', '--cluster-store', 'etcd://h:99999', '--advertise-addr', '192.0.2.1'], /expected HOST:PORT/],
    [['daemon', '--cluster-store', 'etcd://h:1', '--advertise-addr', 'nope'], /not an IP address/],
    [['daemon', '--cluster-store', 'etcd://h:1', '--advertise-addr', '192.0.2.1', '--cluster-ttl', '1'], /TTL 1/],
    [['daemon', '--cluster-store', 'etcd://h:1', '--advertise-addr', '192.0.2.1', '--node-name', 'a/b'], /node name/],
    [['sandbox', 'rm'], /missing SANDBOX/],
    [['driver', 'load'], /missing PATH/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stdout + r.stderr, message, args.join(' '));
  }
});

test('no daemon: exit 1 and a hint', async (t) => {
  const dir = tempDir(t, 'wasmnet-api-');
  const r = await cli(['network', 'ls', '--socket', join(dir, 'none.sock')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot reach the wasmnet daemon .*is 'wasmnet daemon' running/);
});

test('network, sandbox, connect, disconnect, rm against a daemon', async (t) => {
  const { env, port } = await daemon(t);
  const created = await cli(
    [
      'network',
      'create',
      '--subnet',
      '10.5.0.0/24',
      '-o',
      'com.docker.network.driver.mtu=1400',
      '--label',
      'team=a',
      'net1',
    ],
    env,
  );
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.stdout, /^[0-9a-f]{64}\n$/);
  const ls = await cli(['network', 'ls'], env);
  assert.match(
    ls.stdout,
    /^NETWORK ID\s+NAME\s+DRIVER\s+SUBNETS\s+ENDPOINTS\n[0-9a-f]{12}\s+net1\s+bridge\s+10\.5\.0\.0\/24\s+0\n$/,
  );
  const json = JSON.parse((await cli(['network', 'ls', '--format', 'json'], env)).stdout);
  assert.equal(json[0].driverOptions['com.docker.network.driver.mtu'], '1400');
  assert.equal((await cli(['sandbox', 'create', '--hostname', 'h1', 'c1'], env)).code, 0);
  const connected = await cli(['network', 'connect', '--ip', '10.5.0.9', 'net1', 'c1'], env);
  assert.equal(connected.code, 0, connected.stderr);
  const inspect = JSON.parse((await cli(['network', 'inspect', 'net1'], env)).stdout);
  assert.equal(inspect[0].endpoints[0].ipv4Address, '10.5.0.9/24');
  assert.equal(inspect[0].endpoints[0].interfaceName, 'eth0');
  const busy = await cli(['network', 'rm', 'net1'], env);
  assert.equal(busy.code, 1);
  assert.match(busy.stderr, /has active endpoints.*\[active-endpoints\]/);
  assert.equal((await cli(['network', 'disconnect', 'net1', 'c1'], env)).code, 0);
  const again = await cli(['network', 'disconnect', 'net1', 'c1'], env);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /not connected/);
  assert.match((await cli(['sandbox', 'ls'], env)).stdout, /SANDBOX ID\s+CONTAINER\s+KEY\s+ENDPOINTS\s+PORTS\n.*c1/);
  assert.equal((await cli(['sandbox', 'rm', 'c1'], env)).code, 0);
  assert.equal((await cli(['network', 'rm', 'net1', 'ghost'], env)).code, 1);
  assert.equal(port.networks.size, 0);
  const missing = await cli(['network', 'inspect', 'ghost'], env);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /network ghost not found \[no-such-network\]/);
});

test('a failed join removes the endpoint connect created', async (t) => {
  const { env, port } = await daemon(t);
  await cli(['network', 'create', 'n'], env);
  await cli(['sandbox', 'create', 'c1'], env);
  await cli(['sandbox', 'create', 'c2'], env);
  assert.equal((await cli(['network', 'connect', '--name', 'ep', 'n', 'c1'], env)).code, 0);
  const dup = await cli(['network', 'connect', '--name', 'ep', 'n', 'c2'], env);
  assert.equal(dup.code, 1);
  assert.equal([...port.endpoints.values()].length, 1);
});

test('driver and ipam commands; load shows progress', async (t) => {
  const { env } = await daemon(t);
  const loaded = await cli(['driver', 'load', '/drivers/macvlan.wasm'], env);
  assert.equal(loaded.code, 0, loaded.stderr);
  assert.equal(loaded.stdout, 'macvlan\n');
  assert.match(loaded.stderr, /Loading \/drivers\/macvlan\.wasm\.\.\./);
  assert.match(
    (await cli(['driver', 'ls'], env)).stdout,
    /NAME\s+HEALTHY\s+RESTARTS\s+REGISTERS\s+VERSION\nbridge\s+yes\s+0\s+driver:bridge/,
  );
  assert.equal(JSON.parse((await cli(['driver', 'inspect', 'macvlan'], env)).stdout).name, 'macvlan');
  assert.equal((await cli(['driver', 'unload', 'macvlan'], env)).code, 0);
  assert.equal((await cli(['driver', 'inspect', 'macvlan'], env)).code, 1);
  await cli(['network', 'create', '--subnet', '10.6.0.0/24', 'p'], env);
  assert.match(
    (await cli(['ipam', 'ls'], env)).stdout,
    /p\s+LocalDefault\s+10\.6\.0\.0\/24\s+10\.6\.0\.1\/24\s+1\/256/,
  );
});

test('the executable exits with the codes run() returns', async () => {
  const exec = promisify(execFile);
  const help = await exec(process.execPath, [MAIN, '--help']);
  assert.match(help.stdout, /Usage: wasmnet/);
  await assert.rejects(
    exec(process.execPath, [MAIN, 'bogus']),
    (error: { code?: number; stderr?: string }) => error.code === 2 && /unknown command/.test(error.stderr ?? ''),
  );
});
