import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ApiServer } from '../../host/api/server.js';
import { runCni } from '../../host/cni/plugin.js';
import { InMemoryControllerPort } from '../api/fake-controller.js';
import { tempDir } from '../support/temp-dir.js';

const MAIN = fileURLToPath(new URL('../../host/cni/main.js', import.meta.url));

async function daemon(t: { after(fn: () => Promise<void>): void }) {
  const dir = tempDir(t, 'wasmnet-api-');
  const port = new InMemoryControllerPort();
  const server = await ApiServer.listen(port, { socketPath: join(dir, 'wasmnet.sock') });
  t.after(() => server.close());
  const conf = (extra: Record<string, unknown> = {}) => ({
    cniVersion: '1.1.0',
    name: 'cninet',
    type: 'wasmnet',
    socket: server.socketPath,
    subnet: '10.88.0.0/24',
    ...extra,
  });
  return { port, dir, socket: server.socketPath, conf };
}

const env = (command: string, extra: Record<string, string> = {}) => ({
  CNI_COMMAND: command,
  CNI_CONTAINERID: 'ctr1',
  CNI_NETNS: '/var/run/netns/ctr1',
  CNI_IFNAME: 'eth0',
  CNI_PATH: '/opt/cni/bin',
  CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=x',
  ...extra,
});

async function cni(command: string, conf: unknown, extra: Record<string, string> = {}) {
  const outcome = await runCni(env(command, extra), typeof conf === 'string' ? conf : JSON.stringify(conf));
  return { ...outcome, json: outcome.stdout === '' ? undefined : JSON.parse(outcome.stdout) };
}

test('VERSION lists the supported spec versions', async () => {
  const r = await cni('VERSION', { cniVersion: '1.1.0' });
  assert.equal(r.exitCode, 0);
  assert.deepEqual(r.json, { cniVersion: '1.1.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
});

test('bad environments and configs give the spec error codes', async (t) => {
  const { conf } = await daemon(t);
  const cases: Array<[string, unknown, Record<string, string>, number]> = [
    ['', conf(), {}, 4],
    ['FROB', conf(), {}, 4],
    ['ADD', conf(), { CNI_NETNS: '' }, 4],
    ['ADD', conf(), { CNI_IFNAME: 'x'.repeat(16) }, 4],
    ['ADD', conf(), { CNI_ARGS: 'K8S_POD_NAME=x' }, 4],
    ['ADD', conf(), { CNI_ARGS: 'broken' }, 4],
    ['ADD', '{not json', {}, 6],
    ['ADD', conf({ name: 42 }), {}, 7],
    ['ADD', conf({ subnet: ['a'] }), {}, 7],
    ['ADD', { name: 'x', type: 'wasmnet' }, {}, 7],
    ['ADD', conf({ cniVersion: '9.9.9' }), {}, 1],
    ['CHECK', conf({ cniVersion: '0.3.1' }), {}, 1],
    ['GC', conf({ cniVersion: '1.0.0' }), {}, 1],
    ['STATUS', conf({ cniVersion: '0.4.0' }), {}, 1],
  ];
  for (const [command, config, extra, code] of cases) {
    const r = await cni(command, config, extra);
    assert.equal(r.exitCode, 1, `${command} ${JSON.stringify(extra)}`);
    assert.equal(r.json.code, code, `${command} ${JSON.stringify(config)} ${JSON.stringify(extra)}: ${r.stdout}`);
    assert.equal(typeof r.json.msg, 'string');
    assert.equal(typeof r.json.cniVersion, 'string');
  }
});

test('ADD, CHECK, DEL, DEL again', async (t) => {
  const { conf, port } = await daemon(t);
  const add = await cni('ADD', conf());
  assert.equal(add.exitCode, 0, add.stdout);
  assert.deepEqual(add.json, {
    cniVersion: '1.1.0',
    interfaces: [{ name: 'eth0', mac: add.json.interfaces[0].mac, sandbox: '/var/run/netns/ctr1' }],
    ips: [{ address: '10.88.0.2/24', gateway: '10.88.0.1', interface: 0 }],
    routes: [{ dst: '0.0.0.0/0', gw: '10.88.0.1' }],
    dns: { nameservers: ['127.0.0.11'] },
  });
  assert.equal([...port.sandboxes.values()][0]!.key, '/var/run/netns/ctr1');
  const dup = await cni('ADD', conf());
  assert.equal(dup.exitCode, 1);
  assert.equal(dup.json.code, 100);
  assert.deepEqual([port.sandboxes.size, port.endpoints.size], [1, 1], 'a refused ADD keeps the first');
  assert.equal((await cni('CHECK', conf({ prevResult: add.json }))).exitCode, 0);
  const wrong = await cni('CHECK', conf({ prevResult: { ...add.json, ips: [{ address: '10.88.0.77/24' }] } }));
  assert.equal(wrong.exitCode, 1);
  assert.match(wrong.json.msg, /addresses differ/);
  assert.equal((await cni('CHECK', conf())).json.code, 7, 'CHECK needs prevResult');
  assert.equal((await cni('CHECK', conf({ prevResult: add.json }), { CNI_CONTAINERID: 'other' })).json.code, 3);
  const del = await cni('DEL', conf({ prevResult: add.json }));
  assert.deepEqual([del.exitCode, del.stdout], [0, '']);
  assert.equal(port.endpoints.size, 0);
  assert.equal(port.sandboxes.size, 0);
  const again = await cni('DEL', conf({ prevResult: add.json }));
  assert.deepEqual([again.exitCode, again.stdout], [0, '']);
  // The namespace is gone: no CNI_NETNS.
  assert.equal((await cni('DEL', conf(), { CNI_NETNS: '' })).exitCode, 0);
  assert.equal((await cni('DEL', conf({ name: 'never-created' }))).exitCode, 0);
});

test("a CNI network is found by its name only, never by a prefix of another network's id", async (t) => {
  const { conf, port } = await daemon(t);
  assert.equal((await cni('ADD', conf({ name: 'other' }))).exitCode, 0);
  const other = [...port.networks.values()][0]!;
  const prefix = other.id.slice(0, 4);
  const add = await cni('ADD', conf({ name: prefix, subnet: '10.89.0.0/24' }), { CNI_CONTAINERID: 'ctr2' });
  assert.equal(add.exitCode, 0, add.stdout);
  assert.match(add.json.ips[0].address, /^10\.89\.0\./, 'its own network, not the one whose id starts with its name');
  assert.deepEqual([...port.networks.values()].map((n) => n.name).sort(), [prefix, 'other'].sort());
  assert.equal((await cni('DEL', conf({ name: prefix }), { CNI_CONTAINERID: 'ctr2' })).exitCode, 0);
  assert.equal(port.networks.get(other.id)!.endpoints.length, 1, "DEL left the other network's endpoint alone");
});

test('older config versions get the 0.3/0.4 result shape', async (t) => {
  const { conf } = await daemon(t);
  const add = await cni('ADD', conf({ cniVersion: '0.4.0' }));
  assert.equal(add.exitCode, 0);
  assert.equal(add.json.cniVersion, '0.4.0');
  assert.equal(add.json.ips[0].version, '4');
});

test('one container on two networks shares its sandbox; DEL of one keeps it', async (t) => {
  const { conf, port } = await daemon(t);
  assert.equal((await cni('ADD', conf())).exitCode, 0);
  const second = await cni('ADD', conf({ name: 'cninet2', subnet: '10.89.0.0/24' }), { CNI_IFNAME: 'eth1' });
  assert.equal(second.exitCode, 0, second.stdout);
  assert.equal(port.sandboxes.size, 1);
  assert.equal((await cni('DEL', conf({ name: 'cninet2' }), { CNI_IFNAME: 'eth1' })).exitCode, 0);
  assert.equal(port.sandboxes.size, 1);
  assert.equal((await cni('DEL', conf())).exitCode, 0);
  assert.equal(port.sandboxes.size, 0);
});

test('GC removes attachments that are not valid any more', async (t) => {
  const { conf, port } = await daemon(t);
  await cni('ADD', conf());
  await cni('ADD', conf(), { CNI_CONTAINERID: 'ctr2', CNI_NETNS: '/var/run/netns/ctr2' });
  const gc = await cni('GC', conf({ 'cni.dev/valid-attachments': [{ containerID: 'ctr2', ifname: 'eth0' }] }));
  assert.deepEqual([gc.exitCode, gc.stdout], [0, '']);
  assert.deepEqual(
    [...port.endpoints.values()].map((e) => e.name),
    ['cni-ctr2-eth0'],
  );
  assert.deepEqual(
    [...port.sandboxes.values()].map((s) => s.containerId),
    ['ctr2'],
  );
});

test('STATUS and a missing daemon', async (t) => {
  const { conf, dir } = await daemon(t);
  assert.equal((await cni('STATUS', conf())).exitCode, 0);
  const gone = conf({ socket: join(dir, 'none.sock') });
  assert.equal((await cni('STATUS', gone)).json.code, 50);
  assert.equal((await cni('ADD', gone)).json.code, 11);
  assert.equal((await cni('DEL', gone)).json.code, 11);
});

test('the executable reads stdin and the environment', async () => {
  const run = (command: string, stdin: string) =>
    new Promise<{ code: number; stdout: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [MAIN],
        { env: { ...env(command), PATH: process.env.PATH ?? '' } },
        (error, stdout) => {
          resolve({ code: error ? Number((error as { code?: number }).code) : 0, stdout });
        },
      );
      child.stdin!.end(stdin);
    });
  const version = await run('VERSION', '{"cniVersion":"1.0.0"}');
  assert.equal(version.code, 0);
  assert.ok(JSON.parse(version.stdout).supportedVersions.includes('1.1.0'));
  const bad = await run('ADD', 'nope');
  assert.equal(bad.code, 1);
  assert.equal(JSON.parse(bad.stdout).code, 6);
});
