// A network whose IPAM is a Wasm component (the SDK's ipam-driver fixture, registered as "seq"
// through the ipam callback): pools, gateways and endpoint addresses come from it, its errors
// keep their ipamapi names, it cannot be unloaded while a network uses it, and a restart keeps
// it. An IPAM component that keeps its state in memory gets it replayed after a trap.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ForbiddenError } from '../../host/controller/index.js';
import { buildAsFixture } from '../drivers/as-fixtures.js';
import { buildFixture } from '../sdk/fixtures.js';
import { ipJson, makeHost, ping, type IpAddr } from './fixtures.js';
import { needsRoot } from '../support/root.js';

test(
  'Wasm IPAM driver: pools and addresses from the component, typed errors, kept loaded while used, restored',
  needsRoot,
  async () => {
    const h = makeHost();
    const driversDir = join(h.dir, 'drivers');
    mkdirSync(driversDir, { recursive: true });
    writeFileSync(join(driversDir, 'seq-ipam.wasm'), await buildFixture('ipam-driver', 'ipam-driver'));
    let controller = await h.controller({ drivers: undefined, driversDir });
    try {
      const network = await controller.newNetwork('bridge', 'wipam', { ipam: { driver: 'seq' } });
      assert.deepEqual(
        network.info().ipv4.map((pool) => [pool.pool, pool.gateway]),
        [['10.200.0.0/24', '10.200.0.1/24']],
        'the pool and the gateway come from the component',
      );
      const endpoint = await network.createEndpoint('e1');
      assert.equal(endpoint.info().ipv4Address, '10.200.0.2/24');
      const sandbox = await controller.newSandbox('c1');
      await endpoint.join(sandbox);
      const inside = ipJson<IpAddr[]>(sandbox.key(), 'addr', 'show', 'eth0');
      assert.deepEqual(
        inside[0]?.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
        ['10.200.0.2/24'],
      );
      assert.ok(ping(sandbox.key(), '10.200.0.1'), 'the sandbox reaches the gateway the component gave');

      await assert.rejects(
        controller.newNetwork('bridge', 'overlap', { ipam: { driver: 'seq', config: [{ subnet: '10.200.0.0/24' }] } }),
        (error: Error & { code?: string }) =>
          error instanceof ForbiddenError && error.code === 'ErrPoolOverlap' && /10\.200\.0\.0\/24/.test(error.message),
      );
      assert.equal(controller.networkByName('overlap'), undefined);
      await assert.rejects(controller.runtime!.unload('seq-ipam'), /stays loaded: network wipam uses it/);

      await controller.close();
      controller = await h.controller({ drivers: undefined, driversDir });
      const restored = controller.networkByName('wipam')!;
      const second = await restored.createEndpoint('e2');
      assert.match(second.info().ipv4Address ?? '', /^10\.200\.0\.\d+\/24$/);
      assert.notEqual(
        second.info().ipv4Address,
        endpoint.info().ipv4Address,
        'the restarted component still knows what it gave',
      );
      await second.delete();
      const kept = restored.endpointByName('e1')!;
      await controller.sandboxByContainerId('c1')!.delete();
      await kept.delete();
      await restored.delete();
      await controller.runtime!.unload('seq-ipam');
    } finally {
      await controller.close();
      h.cleanup();
    }
  },
);

test('an IPAM component re-created after a trap gets the pools and addresses replayed', needsRoot, async () => {
  const h = makeHost();
  const driversDir = join(h.dir, 'drivers');
  mkdirSync(driversDir, { recursive: true });
  writeFileSync(join(driversDir, 'amnesic-ipam.wasm'), await buildAsFixture('amnesic-ipam', undefined, 'ipam-driver'));
  const controller = await h.controller({ drivers: undefined, driversDir });
  try {
    const network = await controller.newNetwork('bridge', 'kept', {
      ipam: { driver: 'amnesic', config: [{ subnet: '10.201.0.0/24' }] },
    });
    const first = await network.createEndpoint('e1');
    assert.equal(first.info().ipv4Address, '10.201.0.2/24', 'the gateway took .1');
    const thread = controller.runtime!.slot('amnesic-ipam')?.threadId;
    // Its RequestPool traps: the instance is re-created, and replayed, before the next call.
    await assert.rejects(
      controller.newNetwork('bridge', 'trapping', {
        ipam: { driver: 'amnesic', options: { trap: '1' }, config: [{ subnet: '10.202.0.0/24' }] },
      }),
      /trapped/,
    );
    assert.notEqual(controller.runtime!.slot('amnesic-ipam')?.threadId, thread, 'a new instance serves the IPAM');
    const second = await network.createEndpoint('e2');
    assert.equal(
      second.info().ipv4Address,
      '10.201.0.3/24',
      'the new instance knows .1 and .2 are taken: they were replayed',
    );
    await second.delete();
    await first.delete();
    await network.delete();
  } finally {
    await controller.close();
    h.cleanup();
  }
});
