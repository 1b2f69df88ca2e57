// Sandboxes on namespaces an engine made (external keys), chosen interface names, and Docker's
// hand-over, over the real Wasm bridge driver, inside the test's own host namespace.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Controller, NetworkError } from '../../host/index.js';
import { createNetns } from '../../host/netlink/index.js';
import { ipJson, makeHost, ping, type IpAddr, type TestHost } from '../controller/fixtures.js';
import { needsRoot } from '../support/root.js';

const linkNames = (path: string): string[] => ipJson<IpAddr[]>(path, 'link').map((link) => link.ifname);

/** A test host with a Wasm-driver controller and a directory for the "engine's" namespaces; all removed after. */
async function withEngineHost(
  body: (h: TestHost, engine: string, controllers: Controller[]) => Promise<void>,
): Promise<void> {
  const h = makeHost();
  const engine = h.namespaceDir('engine');
  const controllers = [await h.controller({ drivers: undefined })];
  try {
    await body(h, engine, controllers);
  } finally {
    for (const controller of controllers) await controller.close();
    h.cleanup();
  }
}

test('external key: named interfaces, a duplicate name refused, kept across a restart, never deleted', needsRoot, () =>
  withEngineHost(async (h, engine, controllers) => {
    let controller = controllers[0]!;
    const ns1 = createNetns(engine, 'c1').path as string;
    const ns2 = createNetns(engine, 'c2').path as string;
    const network = await controller.newNetwork('bridge', 'ext', { ipam: { config: [{ subnet: '10.81.0.0/24' }] } });
    const other = await controller.newNetwork('bridge', 'ext2', { ipam: { config: [{ subnet: '10.82.0.0/24' }] } });
    const s1 = await controller.newSandbox('c1', { externalKey: ns1 });
    const s2 = await controller.newSandbox('c2', { externalKey: ns2 });
    assert.equal(s1.key(), ns1);
    const ep1 = await network.createEndpoint('ep1');
    const ep2 = await network.createEndpoint('ep2');
    await ep1.join(s1, { interfaceName: 'net1' });
    await ep2.join(s2);
    assert.equal(ep1.info().interfaceName, 'net1');
    assert.deepEqual(linkNames(ns1), ['lo', 'net1']);
    assert.ok(ping(ns1, '10.81.0.3'));

    const dup = await other.createEndpoint('dup');
    await assert.rejects(
      dup.join(s1, { interfaceName: 'net1' }),
      (error: unknown) => error instanceof NetworkError && error.code === 'interface-exists',
    );
    assert.equal(dup.info().sandboxKey, undefined, 'the refused join left nothing');
    await dup.delete();

    await controller.close();
    controller = await h.controller({ drivers: undefined });
    controllers.push(controller);
    assert.deepEqual(controller.recovery.sandboxes, []);
    assert.deepEqual(controller.recovery.namespaces, []);
    const restored = controller.sandboxByContainerId('c1')!;
    assert.equal(restored.key(), ns1);
    assert.ok(ping(ns1, '10.81.0.3'), 'still connected after the restart');

    for (const sandbox of controller.sandboxes()) await sandbox.delete();
    assert.ok(existsSync(ns1) && existsSync(ns2), "the engine's namespaces stay");
    assert.deepEqual(linkNames(ns1), ['lo'], 'the interface left with the join');
    for (const net of controller.networks()) {
      for (const ep of net.endpoints()) await ep.delete();
      await net.delete();
    }
    assert.deepEqual(linkNames(h.host.path as string), ['lo']);
  }),
);

test("hand-over (Docker's way): the interface waits in the host namespace for the engine to move it", needsRoot, () =>
  withEngineHost(async (h, engine, controllers) => {
    const controller = controllers[0]!;
    const key = join(engine, 'later');
    const network = await controller.newNetwork('bridge', 'hand', { ipam: { config: [{ subnet: '10.83.0.0/24' }] } });
    const ep = await network.createEndpoint('ep');
    // Like dockerd: Join comes before the namespace exists.
    const sandbox = await controller.newSandbox('c1', { externalKey: key });
    await ep.join(sandbox, { handOver: true });
    const info = ep.info();
    assert.equal(info.interfaceName, undefined);
    assert.equal(info.handedOver?.dstPrefix, 'eth');
    const srcName = info.handedOver!.srcName;
    assert.ok(linkNames(h.host.path as string).includes(srcName));
    assert.equal(info.gateway, '10.83.0.1');

    // The engine's SetKey and interface move.
    createNetns(engine, 'later');
    execFileSync('nsenter', [`--net=${h.host.path as string}`, 'ip', 'link', 'set', srcName, 'netns', key]);
    assert.ok(linkNames(key).includes(srcName));

    await ep.leave(sandbox);
    assert.deepEqual(linkNames(key), ['lo'], 'Leave removed the pair');
    await sandbox.delete();
    assert.ok(existsSync(key));
    await ep.delete();
    await network.delete();
    assert.deepEqual(linkNames(h.host.path as string), ['lo']);
  }),
);
