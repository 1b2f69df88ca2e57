// Leftovers over the real controller, in private namespaces: an endpoint joined to an engine's
// namespace that went (a container removed while nobody listened) is left and deleted by the
// sweep, at start or once seen gone for the grace period; an operator removes a joined
// endpoint or a network with endpoints with --force.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ControllerAdapter } from '../../host/api/controller-adapter.js';
import { ApiServer } from '../../host/api/server.js';
import { createNetns, deleteNetns } from '../../host/netlink/index.js';
import { cli } from '../cli/helpers.js';
import { ipJson, makeHost } from '../controller/fixtures.js';
import { needsRoot } from '../support/root.js';

const hostLinks = (path: string): string[] =>
  ipJson<Array<{ ifname: string }>>(path, 'link')
    .map((link) => link.ifname)
    .filter((name) => name !== 'lo');

test(
  'leftover sweep: an endpoint whose engine namespace is gone goes once seen gone for the grace period',
  needsRoot,
  async (t) => {
    const h = makeHost('lft');
    t.after(() => h.cleanup());
    const controller = await h.controller();
    t.after(() => controller.close());
    const network = await controller.newNetwork('bridge', 'n', { ipam: { config: [{ subnet: '10.74.0.0/24' }] } });
    const linksBefore = hostLinks(h.host.path as string);
    const engineNs = createNetns(h.dir, 'engine-c1');
    let nsDeleted = false;
    t.after(() => {
      if (!nsDeleted) deleteNetns(engineNs);
    });
    const box = await controller.newSandbox('c1', { externalKey: engineNs.path as string });
    const ep = await network.createEndpoint('ep');
    await ep.join(box);
    const address = ep.info().ipv4Address;
    const sweeper = controller.leftoverSweeper(1_000);
    assert.deepEqual(await sweeper.sweep(0), [], 'a live namespace stays');

    deleteNetns(engineNs);
    nsDeleted = true;
    assert.deepEqual(await sweeper.sweep(10), [], 'first seen gone: it may not be plumbed yet');
    assert.deepEqual(await sweeper.sweep(1_009), [], 'within the grace period');
    const removed = await sweeper.sweep(1_010);
    assert.deepEqual(
      removed.map((leftover) => [leftover.kind, leftover.name]),
      [
        ['sandbox', 'c1'],
        ['endpoint', 'ep'],
      ],
    );
    assert.equal(controller.sandboxes().length, 0);
    assert.equal(network.endpoints().length, 0);
    assert.deepEqual(hostLinks(h.host.path as string), linksBefore, 'no host-side link left');
    const next = await network.createEndpoint('next');
    assert.equal(next.info().ipv4Address, address, 'its address was released');
    await next.delete();
    assert.deepEqual(await sweeper.sweep(5_000), [], 'nothing more');
  },
);

test(
  'leftover sweep: a namespace unmounted while the controller was down: its endpoint goes at the first sweep',
  needsRoot,
  async (t) => {
    const h = makeHost('lfr');
    t.after(() => h.cleanup());
    let controller = await h.controller();
    t.after(() => controller.close());
    const network = await controller.newNetwork('bridge', 'n', { ipam: { config: [{ subnet: '10.75.0.0/24' }] } });
    const engineNs = createNetns(h.dir, 'engine-c2');
    const box = await controller.newSandbox('c2', { externalKey: engineNs.path as string });
    const ep = await network.createEndpoint('ep');
    await ep.join(box);
    const kept = await network.createEndpoint('kept');
    await controller.close();

    // dockerd unmounts a removed container's namespace at once and removes the file a minute later.
    execFileSync('umount', [engineNs.path as string]);
    t.after(() => rmSync(engineNs.path as string, { force: true }));
    controller = await h.controller();
    assert.deepEqual(controller.recovery.orphans, [ep.id()]);
    const removed = await controller.leftoverSweeper(30_000).sweep();
    assert.deepEqual(
      removed.map((leftover) => [leftover.kind, leftover.id]),
      [['endpoint', ep.id()]],
    );
    const restored = controller.networkByName('n')!;
    assert.deepEqual(
      restored.endpoints().map((endpoint) => endpoint.id()),
      [kept.id()],
      'an endpoint never joined is no leftover',
    );
  },
);

test('wasmnet endpoint rm --force and network rm --force remove what is joined', needsRoot, async (t) => {
  const h = makeHost('frm');
  const controller = await h.controller();
  const server = await ApiServer.listen(new ControllerAdapter(controller), { socketPath: join(h.dir, 'api.sock') });
  const engineNs = createNetns(h.dir, 'engine-c3');
  t.after(async () => {
    await server.close();
    await controller.close();
    deleteNetns(engineNs);
    h.cleanup();
  });
  const run = (...args: string[]) => cli(['--socket', server.socketPath, ...args]);
  const network = await controller.newNetwork('bridge', 'fnet', { ipam: { config: [{ subnet: '10.76.0.0/24' }] } });
  const external = await controller.newSandbox('c3', { externalKey: engineNs.path as string });
  const own = await controller.newSandbox('c4');
  const a = await network.createEndpoint('a');
  await a.join(external);
  const b = await network.createEndpoint('b');
  await b.join(own);

  const refused = await run('endpoint', 'rm', 'fnet', 'a');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /\[active-container\]/);
  assert.match((await run('endpoint', 'ls', 'fnet')).stdout, /a\s+10\.76\.0\.2\/24\s+-\s+[0-9a-f]{12}/);
  const forced = await run('endpoint', 'rm', '--force', 'fnet', 'a');
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(controller.sandboxByContainerId('c3'), undefined, "the engine's sandbox left empty went");
  assert.deepEqual(hostLinks(engineNs.path as string), [], "the interface left the engine's namespace");

  const busy = await run('network', 'rm', 'fnet');
  assert.match(busy.stderr, /\[active-endpoints\]/);
  const gone = await run('network', 'rm', '-f', 'fnet');
  assert.equal(gone.code, 0, gone.stderr);
  assert.equal(controller.networks().length, 0);
  assert.ok(controller.sandboxByContainerId('c4'), 'a sandbox of our own stays (only left)');
  assert.deepEqual(own.endpoints(), []);
  assert.equal(b.sandbox(), undefined);
});
