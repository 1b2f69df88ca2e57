// The compiled CNI plugin (host/cni/forwarder.c, as `npm run install-cli` builds it) against the
// API over the real controller, in private namespaces: each call is one POST /v1/cni the daemon
// runs itself (ADD plumbs the namespace, CHECK, DEL twice); with the daemon gone it runs the
// Node plugin, which gives the spec's "try again later".
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ControllerAdapter } from '../../host/api/controller-adapter.js';
import { ApiServer } from '../../host/api/server.js';
import { cniRoute } from '../../host/cni/route.js';
import { createNetns } from '../../host/netlink/index.js';
import { ipJson, makeHost, ping, type IpAddr } from '../controller/fixtures.js';
import { needsRoot } from '../support/root.js';

const INSTALL_CLI = fileURLToPath(new URL('../../../scripts/install-cli.mjs', import.meta.url));

test('the compiled plugin forwards each call to POST /v1/cni; without a daemon it runs the Node plugin', {
  ...needsRoot,
  timeout: 120_000,
}, async (t) => {
  const host = makeHost('cnifw');
  t.after(() => host.cleanup());
  const runtimeDir = host.namespaceDir('runtime');
  mkdirSync(runtimeDir);
  const installed = spawnSync(process.execPath, [INSTALL_CLI], {
    env: { ...process.env, PREFIX: join(host.dir, 'prefix'), CNI_BIN_DIR: join(host.dir, 'cni') },
    encoding: 'utf8',
  });
  assert.equal(installed.status, 0, installed.stderr);
  const plugin = join(host.dir, 'cni/wasmnet');
  assert.equal(readFileSync(plugin).subarray(1, 4).toString(), 'ELF', 'the plugin is the compiled forwarder');

  const controller = await host.controller({ drivers: undefined });
  t.after(() => controller.close());
  const routes: string[] = [];
  const server = await ApiServer.listen(new ControllerAdapter(controller), {
    socketPath: join(host.dir, 'api.sock'),
    routes: [cniRoute],
    log: (_level, msg, fields) => {
      if (msg === 'request') routes.push(String(fields?.route));
    },
  });
  let serving = true;
  t.after(() => (serving ? server.close() : undefined));
  const conf = (extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      cniVersion: '1.0.0',
      name: 'fwnet',
      type: 'wasmnet',
      socket: server.socketPath,
      subnet: '10.96.0.0/24',
      ...extra,
    });
  // As a runtime runs a plugin: a bare environment, the configuration on stdin. Not spawnSync:
  // this process serves the API.
  const cni = (command: string, id: string, config: string) =>
    new Promise<{ code: number; json: any }>((resolve) => {
      const env = {
        CNI_COMMAND: command,
        CNI_CONTAINERID: id,
        CNI_NETNS: join(runtimeDir, id),
        CNI_IFNAME: 'eth0',
        CNI_PATH: '/usr/lib/cni',
      };
      const child = execFile(plugin, [], { env }, (error, stdout) =>
        resolve({
          code: error === null ? 0 : (error.code as number),
          json: stdout === '' ? undefined : JSON.parse(stdout),
        }),
      );
      child.stdin!.end(config);
    });

  const ns1 = createNetns(runtimeDir, 'ctr1').path as string;
  const ns2 = createNetns(runtimeDir, 'ctr2').path as string;
  const add1 = await cni('ADD', 'ctr1', conf());
  assert.equal(add1.code, 0, JSON.stringify(add1.json));
  assert.deepEqual(add1.json.ips, [{ address: '10.96.0.2/24', gateway: '10.96.0.1', interface: 0 }]);
  assert.deepEqual(add1.json.interfaces, [{ name: 'eth0', mac: add1.json.interfaces[0].mac, sandbox: ns1 }]);
  assert.equal((await cni('ADD', 'ctr2', conf())).code, 0);
  assert.ok(ping(ns1, '10.96.0.3'));
  assert.equal((await cni('CHECK', 'ctr1', conf({ prevResult: add1.json }))).code, 0);
  const dup = await cni('ADD', 'ctr1', conf());
  assert.equal(dup.code, 1);
  assert.equal(dup.json.code, 100, 'a second ADD of the same attachment gets the plugin error');
  const bad = await cni('ADD', 'ctr9', conf({ subnet: ['x'] }));
  assert.equal(bad.code, 1);
  assert.equal(bad.json.code, 7, 'a bad configuration gets the spec error from the daemon');
  for (let i = 0; i < 2; i++) {
    const del = await cni('DEL', 'ctr1', conf({ prevResult: add1.json }));
    assert.equal(del.code, 0, JSON.stringify(del.json));
    assert.equal(del.json, undefined, 'DEL prints nothing');
  }
  assert.ok(!ipJson<IpAddr[]>(ns1, 'addr').some((a) => a.ifname === 'eth0'), 'DEL removed the interface');
  assert.deepEqual(new Set(routes), new Set(['POST /v1/cni']), 'every call was one request to the CNI route');
  assert.equal(routes.length, 7);

  await server.close();
  serving = false;
  const unreachable = await cni('DEL', 'ctr2', conf());
  assert.equal(unreachable.code, 1);
  assert.equal(unreachable.json.code, 11, `the Node plugin's answer: ${JSON.stringify(unreachable.json)}`);
  assert.ok(
    ipJson<IpAddr[]>(ns2, 'addr').some((a) => a.ifname === 'eth0'),
    'nothing was done',
  );
});
