// Deleting idle networks while the machine is loaded by many concurrent CNI-like endpoint
// lifecycles (each in a runtime's namespace, created and deleted: the kernel's namespace
// clean-up competes for the RTNL lock): every delete succeeds and leaves no record. A driver
// call whose host import waits behind a blocked main thread is not stopped by its deadline
// (the wait is the host's, not the guest's).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Controller } from '../../host/wiring/index.js';
import { needsRoot } from '../support/root.js';
import { createNetns, deleteNetns } from '../../host/netlink/index.js';
import { type TestHost, withController } from './fixtures.js';

const LIFECYCLES = 16;
const WASM = { drivers: undefined, driverLimits: { deadlineMs: 1_000 } };

/**
 * CNI-like endpoint lifecycles on `network` until `stop()` holds: a runtime's namespace, a sandbox
 * on it, an endpoint joined, left (its veth deleted), both deleted, the namespace deleted.
 */
async function churn(
  h: TestHost,
  controller: Controller,
  network: string,
  worker: number,
  stop: () => boolean,
): Promise<number> {
  let rounds = 0;
  const net = controller.networkByName(network)!;
  while (!stop()) {
    const ns = createNetns(h.dir, `rt-${worker}-${rounds}`);
    try {
      const box = await controller.newSandbox(`load-${worker}-${rounds}`, { externalKey: ns.path as string });
      const ep = await net.createEndpoint(`ep-${worker}-${rounds}`);
      await ep.join(box);
      await ep.leave(box);
      await ep.delete();
      await box.delete();
    } finally {
      deleteNetns(ns);
    }
    rounds += 1;
  }
  return rounds;
}

test(
  'idle networks are deleted while endpoint lifecycles load the machine; none stays half-deleted',
  {
    ...needsRoot,
    timeout: 300_000,
  },
  () =>
    withController(async (h, controller) => {
      await controller.newNetwork('bridge', 'busy', { ipam: { config: [{ subnet: '10.78.0.0/22' }] } });
      let done = false;
      const load = Array.from({ length: LIFECYCLES }, (_, worker) => churn(h, controller, 'busy', worker, () => done));
      const times: number[] = [];
      try {
        for (let i = 0; i < 20; i += 1) {
          const idle = await controller.newNetwork('bridge', `idle-${i}`, {
            ipam: { config: [{ subnet: `10.79.${i}.0/24` }] },
          });
          const started = performance.now();
          await idle.delete();
          times.push(Math.round(performance.now() - started));
          assert.equal(controller.networkByName(`idle-${i}`), undefined);
          assert.ok(!controller.store.networks.all().some((r) => r.id === idle.id()), 'no record left');
        }
      } finally {
        done = true;
        const rounds = await Promise.all(load);
        process.stdout.write(`# delete ms ${JSON.stringify(times)}; lifecycles ${JSON.stringify(rounds)}\n`);
      }
      assert.deepEqual(
        h.warnings.filter((w) => /deadline/.test(w)),
        [],
      );
    }, WASM),
);

/** Keeps this thread busy, as a synchronous netlink call waiting for the RTNL lock does. */
function blockMainThread(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

test(
  "a driver call waiting for a blocked main thread's answer is not stopped by its deadline",
  {
    ...needsRoot,
    timeout: 120_000,
  },
  () =>
    withController(async (h, controller) => {
      for (let i = 0; i < 3; i += 1) {
        const idle = await controller.newNetwork('bridge', `blocked-${i}`, {
          ipam: { config: [{ subnet: `10.80.${i}.0/24` }] },
        });
        const deleting = idle.delete();
        // The call is posted (the way there is all microtasks); its bridge delete asks the host.
        await new Promise((resolve) => setImmediate(resolve));
        blockMainThread(1_500);
        await deleting;
        assert.equal(controller.networkByName(`blocked-${i}`), undefined);
      }
      assert.deepEqual(
        h.warnings.filter((w) => /deadline/.test(w)),
        [],
      );
    }, WASM),
);
