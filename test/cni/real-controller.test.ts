// The wasmnet-cni executable driven per the spec against the API over the real controller (Wasm
// bridge driver), in private namespaces: ADD plumbs the runtime's namespace, CHECK, DEL twice
// (also once the namespace is gone), VERSION, GC, STATUS and bad configs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ControllerAdapter } from '../../host/api/controller-adapter.js';
import { ApiServer } from '../../host/api/server.js';
import { createNetns, deleteNetns } from '../../host/netlink/index.js';
import { DELETING_PREFIX } from '../../host/sandbox/sandbox.js';
import { ipJson, makeHost, ping, type IpAddr } from '../controller/fixtures.js';
import { needsRoot } from '../support/root.js';

const MAIN = fileURLToPath(new URL('../../host/cni/main.js', import.meta.url));

interface Outcome {
  code: number;
  json: any;
}

/** One run of the executable, as a runtime does it: CNI_* variables, the config on stdin. */
function exec(env: Record<string, string>, stdin: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [MAIN],
      { env: { PATH: process.env.PATH ?? '', ...env } },
      (error, stdout) => {
        resolve({
          code: error === null ? 0 : (error.code as number),
          json: stdout === '' ? undefined : JSON.parse(stdout),
        });
      },
    );
    child.stdin!.end(stdin);
  });
}

test('wasmnet-cni → API → real controller: ADD, CHECK, DEL twice, VERSION, GC, STATUS, bad configs', {
  ...needsRoot,
  timeout: 120_000,
}, async (t) => {
  const host = makeHost('cni');
  const runtimeDir = host.namespaceDir('runtime');
  mkdirSync(runtimeDir);
  t.after(() => host.cleanup());
  const controller = await host.controller({ drivers: undefined });
  t.after(() => controller.close());
  const server = await ApiServer.listen(new ControllerAdapter(controller), { socketPath: join(host.dir, 'api.sock') });
  t.after(() => server.close());
  const conf = (extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      cniVersion: '1.1.0',
      name: 'cninet',
      type: 'wasmnet',
      socket: server.socketPath,
      subnet: '10.95.0.0/24',
      ...extra,
    });
  const netns = (id: string) => createNetns(runtimeDir, id).path as string;
  const cni = (command: string, id: string, config: string, extra: Record<string, string> = {}) =>
    exec(
      {
        CNI_COMMAND: command,
        CNI_CONTAINERID: id,
        CNI_NETNS: join(runtimeDir, id),
        CNI_IFNAME: 'eth0',
        CNI_PATH: '/usr/lib/cni',
        CNI_ARGS: 'IgnoreUnknown=1',
        ...extra,
      },
      config,
    );

  const version = await cni('VERSION', 'ctr1', conf());
  assert.deepEqual(version.json.supportedVersions, ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']);
  assert.equal((await cni('STATUS', 'ctr1', conf())).code, 0);

  const ns1 = netns('ctr1');
  const ns2 = netns('ctr2');
  const add1 = await cni('ADD', 'ctr1', conf());
  assert.equal(add1.code, 0, JSON.stringify(add1.json));
  assert.deepEqual(add1.json.ips, [{ address: '10.95.0.2/24', gateway: '10.95.0.1', interface: 0 }]);
  assert.deepEqual(add1.json.interfaces, [{ name: 'eth0', mac: add1.json.interfaces[0].mac, sandbox: ns1 }]);
  const add2 = await cni('ADD', 'ctr2', conf(), { CNI_IFNAME: 'net1' });
  assert.equal(add2.code, 0, JSON.stringify(add2.json));
  assert.deepEqual(
    ipJson<IpAddr[]>(ns2, 'addr').map((a) => a.ifname),
    ['lo', 'net1'],
    'CNI_IFNAME names the interface',
  );
  assert.ok(ping(ns1, '10.95.0.3'));
  assert.equal((await cni('CHECK', 'ctr1', conf({ prevResult: add1.json }))).code, 0);
  const dup = await cni('ADD', 'ctr1', conf());
  assert.equal(dup.json.code, 100, 'a second ADD of the same attachment is refused');

  // Bad configs change nothing.
  for (const bad of ['{not json', conf({ name: 42 }), conf({ cniVersion: '9.9.9' }), conf({ subnet: 'nonsense' })]) {
    const r = await cni('ADD', 'ctr9', bad);
    assert.equal(r.code, 1, bad);
    assert.equal(typeof r.json.msg, 'string');
  }
  assert.equal(controller.sandboxes().length, 2);

  const del1 = await cni('DEL', 'ctr1', conf({ prevResult: add1.json }));
  assert.equal(del1.code, 0, JSON.stringify(del1.json));
  assert.deepEqual(
    ipJson<IpAddr[]>(ns1, 'addr')
      .map((a) => a.ifname)
      .filter((name) => !name.startsWith(DELETING_PREFIX)),
    ['lo'],
    'DEL removed the interface (the kernel may still be deleting it under another name)',
  );
  assert.ok(existsSync(ns1), "the runtime's namespace stays");
  assert.equal((await cni('DEL', 'ctr1', conf({ prevResult: add1.json }))).code, 0, 'DEL again succeeds');

  // GC with only ctr1 valid removes ctr2's attachment, whose namespace is already gone.
  deleteNetns(ns2);
  const gc = await cni('GC', '', conf({ 'cni.dev/valid-attachments': [{ containerID: 'ctr1', ifname: 'eth0' }] }), {
    CNI_CONTAINERID: '',
    CNI_NETNS: '',
    CNI_IFNAME: '',
  });
  assert.equal(gc.code, 0, JSON.stringify(gc.json));
  assert.deepEqual(controller.sandboxes(), []);
  assert.deepEqual(controller.networkByName('cninet')!.endpoints(), []);
  assert.equal((await cni('DEL', 'ctr2', conf(), { CNI_NETNS: '' })).code, 0, 'DEL after the namespace is gone');
  await controller.networkByName('cninet')!.delete();
  assert.deepEqual(
    ipJson<IpAddr[]>(host.host.path as string, 'link').map((l) => l.ifname),
    ['lo'],
  );
});
