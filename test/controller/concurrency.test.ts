// Operations on different objects run at the same time; on the same object they run one after
// the other, and a race ends with libnetwork's typed error, never with a broken model. The
// links a driver creates are tagged with the operation it was serving, whatever ran meanwhile.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ActiveEndpointsError,
  ControllerClosedError,
  EndpointExistsError,
  EndpointInUseError,
  ForbiddenError,
  NotFoundError,
  NetworkNameError,
} from '../../host/controller/index.js';
import { OperationLocks } from '../../host/controller/locks.js';
import { ipJson, kernelSettled, withController, type IpAddr } from './fixtures.js';
import { needsRoot } from '../support/root.js';

/** A task that records when it starts and ends, and ends when `release` is called. */
function gate(log: string[], name: string): { task: () => Promise<string>; release: () => void } {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    task: async () => {
      log.push(`${name}+`);
      await released;
      log.push(`${name}-`);
      return name;
    },
    release: () => release(),
  };
}

/** How many of `results` were rejected with an error of `type`, and how many were fulfilled. */
function outcomes(
  results: PromiseSettledResult<unknown>[],
  type: new (...args: never[]) => Error,
): { ok: number; refused: number } {
  const refused = results.filter((r) => r.status === 'rejected' && r.reason instanceof type).length;
  const ok = results.filter((r) => r.status === 'fulfilled').length;
  assert.equal(
    ok + refused,
    results.length,
    `unexpected failure: ${results
      .filter((r) => r.status === 'rejected' && !(r.reason instanceof type))
      .map((r) => String((r as PromiseRejectedResult).reason))
      .join('; ')}`,
  );
  return { ok, refused };
}

test('OperationLocks: one key at a time in call order, other keys in parallel, several keys at once, a lone task between', async () => {
  const locks = new OperationLocks();
  const log: string[] = [];
  const a1 = gate(log, 'a1');
  const a2 = gate(log, 'a2');
  const b = gate(log, 'b');
  const ab = gate(log, 'ab');
  const runs = [
    locks.withKeys(['a'], a1.task),
    locks.withKeys(['a'], a2.task),
    locks.withKeys(['b'], b.task),
    locks.withKeys(['a', 'b'], ab.task),
  ];
  await sleep(5);
  assert.deepEqual(log, ['a1+', 'b+'], 'a2 waits for a1; b runs beside it; ab waits for both keys');
  a1.release();
  await sleep(5);
  assert.deepEqual(log, ['a1+', 'b+', 'a1-', 'a2+']);
  b.release();
  a2.release();
  await sleep(5);
  assert.deepEqual(log.slice(4), ['b-', 'a2-', 'ab+'], 'ab starts once both keys are free');
  const lone = gate(log, 'lone');
  const after = gate(log, 'after');
  const loneRun = locks.alone(lone.task);
  const afterRun = locks.withKeys(['c'], after.task);
  await sleep(5);
  assert.equal(log.includes('lone+'), false, 'a lone task waits for the operations called before it');
  ab.release();
  await sleep(5);
  assert.equal(log.at(-1), 'lone+');
  assert.equal(log.includes('after+'), false, 'an operation called after a lone task waits for it');
  lone.release();
  after.release();
  assert.deepEqual(await Promise.all([...runs, loneRun, afterRun]), ['a1', 'a2', 'b', 'ab', 'lone', 'after']);

  const failed = locks.withKeys(['a'], async () => {
    throw new Error('boom');
  });
  await assert.rejects(failed, /boom/);
  assert.equal(await locks.withKeys(['a'], async () => 'free again'), 'free again', 'a failed task releases its keys');
});

test(
  'twelve lifecycles at once through the Wasm bridge: each gets its own interface, address and tagged links, and all of it goes',
  needsRoot,
  () =>
    withController(
      async (h, controller) => {
        const networks = [
          await controller.newNetwork('bridge', 'par-a', { ipam: { config: [{ subnet: '10.91.0.0/24' }] } }),
          await controller.newNetwork('bridge', 'par-b', { ipam: { config: [{ subnet: '10.92.0.0/24' }] } }),
        ];
        const lifecycles = await Promise.all(
          Array.from({ length: 12 }, async (_, i) => {
            const network = networks[i % 2]!;
            const [endpoint, sandbox] = await Promise.all([
              network.createEndpoint(`ep${i}`),
              controller.newSandbox(`c${i}`),
            ]);
            await endpoint.join(sandbox);
            return { endpoint, sandbox };
          }),
        );
        const addresses = new Set<string>();
        for (const { endpoint, sandbox } of lifecycles) {
          const info = endpoint.info();
          addresses.add(info.ipv4Address as string);
          const inside = ipJson<IpAddr[]>(sandbox.key(), 'addr', 'show', 'eth0');
          assert.deepEqual(
            inside[0]?.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
            [info.ipv4Address],
          );
          const rows = controller.store.links.all().filter((row) => row.operation === `join:${endpoint.id()}`);
          // The bridge names the host end veth + the endpoint id's first 10 characters + an attempt number.
          const hostEnd = new RegExp(`^veth${endpoint.id().slice(0, 10)}\\d+$`);
          assert.deepEqual(
            rows
              .map((row) => [
                row.ns === 'host' ? 'host' : row.ns === `sandbox:${sandbox.key()}` ? 'own sandbox' : row.ns,
                hostEnd.test(row.name) ? 'host end' : row.name,
              ])
              .sort(),
            [
              ['host', 'host end'],
              ['own sandbox', 'eth0'],
            ],
            `the links of ${endpoint.name()}'s join are tagged with it`,
          );
        }
        assert.equal(addresses.size, 12, 'no address was given twice');
        const bridges = controller.store.links.all().filter((row) => row.operation?.startsWith('net:'));
        assert.deepEqual(
          bridges.map((row) => row.operation).sort(),
          networks.map((network) => `net:${network.id()}`).sort(),
        );

        await Promise.all(
          lifecycles.map(async ({ endpoint, sandbox }) => {
            await sandbox.delete();
            await endpoint.delete();
          }),
        );
        await Promise.all(networks.map((network) => network.delete()));
        assert.deepEqual(controller.sandboxes(), []);
        assert.deepEqual(controller.store.links.all(), [], 'no ownership row is left');
        await kernelSettled(() => ipJson<IpAddr[]>(h.host.path as string, 'addr').length === 1);
        assert.deepEqual(
          ipJson<IpAddr[]>(h.host.path as string, 'addr').map((a) => a.ifname),
          ['lo'],
          'no link is left in the host namespace',
        );
      },
      { drivers: undefined },
    ),
);

test("races on one name or one object end with libnetwork's error for all but one", needsRoot, () =>
  withController(async (_h, controller) => {
    const names = await Promise.allSettled(
      [0, 1, 2].map(() => controller.newNetwork('bridge', 'same', { ipam: { config: [{ subnet: '10.93.0.0/24' }] } })),
    );
    assert.deepEqual(outcomes(names, NetworkNameError), { ok: 1, refused: 2 });
    const network = controller.networkByName('same')!;

    const endpoints = await Promise.allSettled([0, 1, 2].map(() => network.createEndpoint('twin')));
    assert.deepEqual(outcomes(endpoints, EndpointExistsError), { ok: 1, refused: 2 });
    assert.equal(network.endpoints().length, 1);

    const sandboxes = await Promise.allSettled([0, 1].map(() => controller.newSandbox('one-container')));
    assert.deepEqual(outcomes(sandboxes, ForbiddenError), { ok: 1, refused: 1 });
    assert.equal(controller.sandboxes().length, 1);

    const endpoint = network.endpoints()[0]!;
    const [s1, s2] = [controller.sandboxes()[0]!, await controller.newSandbox('other-container')];
    const joins = await Promise.allSettled([endpoint.join(s1), endpoint.join(s2)]);
    assert.deepEqual(outcomes(joins, EndpointInUseError), { ok: 1, refused: 1 });
    assert.equal([s1, s2].filter((sandbox) => sandbox.endpoints().includes(endpoint)).length, 1);

    // A network deleted while an endpoint is being created on it: one of the two wins, cleanly.
    const spare = await controller.newNetwork('bridge', 'spare', { ipam: { config: [{ subnet: '10.94.0.0/24' }] } });
    const [created, deleted] = await Promise.allSettled([spare.createEndpoint('late'), spare.delete()]);
    assert.equal(created.status, 'fulfilled', 'called first, the endpoint is created first');
    assert.ok(deleted.status === 'rejected' && deleted.reason instanceof ActiveEndpointsError);
    await spare.endpoints()[0]!.delete();
    const [deletedFirst, createdLate] = await Promise.allSettled([spare.delete(), spare.createEndpoint('later')]);
    assert.equal(deletedFirst.status, 'fulfilled', 'called first, the network is deleted first');
    assert.ok(
      createdLate.status === 'rejected' && createdLate.reason instanceof NotFoundError,
      'no endpoint on a deleted network',
    );
    assert.equal(controller.networkByName('spare'), undefined);

    for (const sandbox of controller.sandboxes()) await sandbox.delete();
    await endpoint.delete();
    await network.delete();
  }),
);

test('close waits for the operations already called, and refuses those called after it', needsRoot, () =>
  withController(async (_h, controller) => {
    const network = await controller.newNetwork('bridge', 'closing', {
      ipam: { config: [{ subnet: '10.95.0.0/24' }] },
    });
    const createdBeforeClose = network.createEndpoint('in-flight');
    const closing = controller.close();
    const refusedAfterClose = assert.rejects(controller.newSandbox('too-late'), ControllerClosedError);
    await closing;
    assert.equal(
      network.endpointByName('in-flight'),
      await createdBeforeClose,
      'the operation called before close completed',
    );
    await refusedAfterClose;
  }),
);
