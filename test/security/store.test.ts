// Attack: a driver filling its store. Values copied out of Wasm memory escape the memory cap (120
// values of 16 MiB in one call OOM-killed the daemon): a value over 1 MiB, a call setting over
// 4 MiB or 1 000 keys, and a store past 16 MiB or 100 000 keys are refused with the store's typed
// error (forbidden), and what the store holds stays within the quota. The neighbour on the
// built-in bridge keeps working; the host namespace is unchanged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiClientError } from '../../host/api/client.js';
import { ControllerStore } from '../../host/wiring/lmdb-store.js';
import { attackNetwork, buildHostile, loadHostile } from './drivers.js';
import { machineState, namespaceState, neighbour, startDaemon, type Daemon } from './harness.js';
import { needsRoot } from '../support/root.js';

const MiB = 2 ** 20;

async function endpoint(daemon: Daemon, network: string, name: string): Promise<void> {
  await daemon.api.post(`/v1/networks/${network}/endpoints`, { name });
}

function overQuota(what: string, why: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof ApiClientError, `${what}: ${String(error)}`);
    assert.equal(error.status, 403, `${what}: HTTP ${error.status} ${error.message}`);
    assert.match(error.message, /store quota/, what);
    assert.match(error.message, why, what);
    return true;
  };
}

test('a driver cannot store past its quota; the daemon stays up; neighbour and host unaffected', {
  ...needsRoot,
  timeout: 300_000,
}, async (t) => {
  const hostile = await buildHostile();
  const machineBefore = machineState();
  const daemon = await startDaemon(t, 'sec-store');
  const hostBefore = namespaceState(daemon.hostNetns);
  const steady = neighbour(daemon, '10.155.0.0/24');
  // A failed attack must not leave the neighbour running: stop() is idempotent.
  try {
    await loadHostile(daemon, hostile);
    const store = (network: string, subnet: string, count: number, size: number) =>
      attackNetwork(daemon, network, subnet, { attack: 'store', count: String(count), size: String(size) });

    // A refused set fails only itself: the sets before it in the call stay (the guest saw them succeed).
    await store('huge', '10.155.1.0/24', 3, 16 * MiB);
    await assert.rejects(endpoint(daemon, 'huge', 'ep'), overQuota('3 values of 16 MiB', /a value of 16777216 bytes/));
    await store('per-call', '10.155.2.0/24', 5, 1_000_000);
    await assert.rejects(endpoint(daemon, 'per-call', 'ep'), overQuota('5 MB in one call', /bytes set in one call/));
    await store('call-keys', '10.155.3.0/24', 1001, 1);
    await assert.rejects(endpoint(daemon, 'call-keys', 'ep'), overQuota('1 001 keys in one call', /keys set in one/));
    // Held: 4 MB and 1 000 small keys. 4 MB calls are allowed until the store would pass 16 MiB.
    await store('total', '10.155.4.0/24', 4, 1_000_000);
    for (let i = 0; i < 3; i++) await endpoint(daemon, 'total', `ep${i}`);
    await assert.rejects(endpoint(daemon, 'total', 'ep3'), overQuota('past 16 MiB', /more than 16777216 bytes/));
    for (const network of ['huge', 'per-call', 'call-keys', 'total']) {
      const endpoints = await daemon.api.get<Array<{ name: string }>>(`/v1/networks/${network}/endpoints`);
      for (const { name } of endpoints) await daemon.api.delete(`/v1/networks/${network}/endpoints/${name}`);
      await daemon.api.delete(`/v1/networks/${network}`);
    }
  } finally {
    await steady.stop();
  }
  const { lifecycles, failures } = await steady.stop();
  assert.deepEqual(failures, []);
  assert.ok(lifecycles > 0, 'the neighbour ran');
  assert.equal(namespaceState(daemon.hostNetns), hostBefore);
  assert.equal(await daemon.stop(), 0);
  const saved = ControllerStore.open(daemon.dataDir);
  try {
    const entries = saved.entries('hostile');
    const bytes = entries.reduce((sum, [key, value]) => sum + key.length + value.length, 0);
    assert.ok(bytes <= 16 * MiB, `the hostile store holds ${bytes} bytes`);
    assert.equal(entries.length, 4 + 1000 + 12, 'what was set before each refusal, and three calls of four values');
  } finally {
    await saved.close();
  }
  assert.equal(machineState(), machineBefore);
});
