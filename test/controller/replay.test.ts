// After a driver component is re-created (a trap) or upgraded, the controller replays what it
// knows to the new instance: CreateNetwork, CreateEndpoint, Join, and ProgramExternalConnectivity
// for a sandbox's gateway endpoint. The "amnesic" fixture keeps
// everything in memory and refuses calls about what it does not know, so every step below
// after the trap or the upgrade works only if the replay happened.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Controller, Endpoint } from '../../host/index.js';
import { buildAsFixture } from '../drivers/as-fixtures.js';
import { ipJson, makeHost, ping } from './fixtures.js';
import { needsRoot } from '../support/root.js';

const BUILTIN_DIR = fileURLToPath(new URL('../../guest-drivers/', import.meta.url));

function place(dir: string, bytes: Uint8Array): void {
  writeFileSync(join(dir, '.amnesic.wasm.tmp'), bytes);
  renameSync(join(dir, '.amnesic.wasm.tmp'), join(dir, 'amnesic.wasm'));
}

/** Waits (by polling, no deadline of its own) until the watcher has swapped in `version`. */
async function upgraded(endpoint: Endpoint, version: string): Promise<void> {
  while ((await endpoint.driverInfo()).version !== version) await new Promise((resolve) => setTimeout(resolve, 20));
}

const driverInfo = async (endpoint: Endpoint): Promise<Record<string, string>> => {
  const { version, joined, programmed } = await endpoint.driverInfo();
  return { version: version!, joined: joined!, programmed: programmed! };
};

test(
  'a trapped and an upgraded driver get the networks, endpoints and joins replayed: new endpoints work, old ones leave and delete cleanly',
  needsRoot,
  async () => {
    const [v1, v2] = await Promise.all([
      buildAsFixture('amnesic'),
      buildAsFixture('amnesic', ["const VERSION = '1'", "const VERSION = '2'"]),
    ]);
    const h = makeHost();
    const driversDir = join(h.dir, 'drivers');
    mkdirSync(driversDir);
    place(driversDir, v1);
    let controller: Controller | undefined;
    try {
      controller = await h.controller({ drivers: undefined, driversDir });
      const network = await controller.newNetwork('amnesic', 'mem', { ipam: { config: [{ subnet: '10.81.0.0/24' }] } });
      const ep1 = await network.createEndpoint('ep1');
      const ep2 = await network.createEndpoint('ep2');
      const s1 = await controller.newSandbox('c1');
      await ep1.join(s1);
      const slot = controller.runtime!.slot('amnesic')!;
      const thread = slot.threadId;

      await assert.rejects(network.createEndpoint('boom', { options: { trap: 'now' } }), /createEndpoint trapped/);
      assert.notEqual(slot.threadId, thread, 'a new instance serves the driver');
      assert.equal(slot.health.consecutiveFaults, 1);
      assert.deepEqual(
        await driverInfo(ep1),
        { version: '1', joined: 'yes', programmed: 'yes' },
        'endpoint, join and external connectivity replayed',
      );
      assert.deepEqual(await driverInfo(ep2), { version: '1', joined: 'no', programmed: 'no' });
      const ep3 = await network.createEndpoint('ep3');
      const s2 = await controller.newSandbox('c2');
      await ep3.join(s2);

      place(driversDir, v2);
      await upgraded(ep1, '2');
      assert.deepEqual(await driverInfo(ep1), { version: '2', joined: 'yes', programmed: 'yes' });
      assert.deepEqual(await driverInfo(ep3), { version: '2', joined: 'yes', programmed: 'yes' });
      assert.deepEqual(await driverInfo(ep2), { version: '2', joined: 'no', programmed: 'no' });

      await ep1.leave(s1);
      await ep3.leave(s2);
      for (const endpoint of [ep1, ep2, ep3]) await endpoint.delete();
      await network.delete();
      for (const sandbox of controller.sandboxes()) await sandbox.delete();
      // The fault is reported, and the rollback of "boom" may meet an instance that never had it;
      // the upgrade is logged; nothing else: no replayed call was refused, no leave or delete warned.
      assert.ok(h.warnings.some((warning) => /createEndpoint trapped .*re-created/.test(warning)));
      const expected =
        /createEndpoint trapped|rollback: driver DeleteEndpoint failed: amnesic: endpoint \w+ not known|amnesic upgraded from/;
      assert.deepEqual(
        h.warnings.filter((warning) => !expected.test(warning)),
        [],
      );
    } finally {
      await controller?.close();
      h.cleanup();
    }
  },
);

/** The same component with one more custom section: a new hash, the same behaviour. */
function newVersionOf(bytes: Uint8Array): Uint8Array {
  const name = Buffer.from('wasmnet-test-version');
  return Buffer.concat([bytes, Buffer.from([0x00, name.length + 1, name.length]), name]);
}

test(
  'the built-in bridge, which keeps its state in its store, survives an upgrade with the replay: traffic flows, new endpoints join, old ones leave',
  needsRoot,
  async () => {
    const h = makeHost();
    let controller: Controller | undefined;
    try {
      controller = await h.controller({ drivers: undefined });
      const network = await controller.newNetwork('bridge', 'wbr', { ipam: { config: [{ subnet: '10.82.0.0/24' }] } });
      const [ep1, ep2] = [await network.createEndpoint('ep1'), await network.createEndpoint('ep2')];
      const [s1, s2] = [await controller.newSandbox('c1'), await controller.newSandbox('c2')];
      await ep1.join(s1);
      await ep2.join(s2);
      const runtime = controller.runtime!;
      await runtime.upgrade('bridge', newVersionOf(readFileSync(join(BUILTIN_DIR, 'bridge.wasm'))));
      // The bridge already had it all (its store, its links): the replayed calls it refused are
      // reported in one warning, the upgrade in another, and nothing else went wrong.
      assert.equal(h.warnings.length, 2, h.warnings.join('\n'));
      assert.match(
        h.warnings[0]!,
        /^bridge: replay after upgrade: 3 call\(s\) refused .*CreateNetwork wbr: .*the name is taken by one of its links/,
      );
      assert.ok(ping(s1.key(), '10.82.0.3'), 'traffic still flows');
      const ep3 = await network.createEndpoint('ep3');
      const s3 = await controller.newSandbox('c3');
      await ep3.join(s3);
      assert.ok(ping(s3.key(), '10.82.0.2'));
      for (const [endpoint, sandbox] of [
        [ep1, s1],
        [ep2, s2],
        [ep3, s3],
      ] as const) {
        await endpoint.leave(sandbox);
        await endpoint.delete();
        await sandbox.delete();
      }
      await network.delete();
      assert.match(h.warnings[1]!, /^bridge: bridge upgraded from \w{12} to \w{12}$/);
      assert.equal(h.warnings.length, 2, 'leaves and deletes were clean');
      assert.deepEqual(
        ipJson<Array<{ ifname: string }>>(h.host.path as string, 'link').map((l) => l.ifname),
        ['lo'],
        'the bridge and the veths are gone',
      );
    } finally {
      await controller?.close();
      h.cleanup();
    }
  },
);
