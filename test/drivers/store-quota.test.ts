// The host's side of the store quota: a call's writes past it are refused whole, and a store
// already over its quota is handed to no instance.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_STORE_QUOTA, MemoryStore, QuotaStore, StoreQuotaExceeded } from '../../host/drivers/index.js';
import { probeComponent } from './fixtures.js';
import { makeRuntime } from './harness.js';

const quota = { ...DEFAULT_STORE_QUOTA, valueBytes: 10, callKeys: 3, totalKeys: 4 };

test('writes past the quota are refused whole; the count restarts with each call', () => {
  const backend = new MemoryStore();
  const store = new QuotaStore(backend, () => quota);
  assert.throws(() => store.apply('d', [['a', new Uint8Array(11)]]), StoreQuotaExceeded);
  assert.throws(
    () =>
      store.apply('d', [
        ['a', new Uint8Array(1)],
        ['b', new Uint8Array(1)],
        ['c', new Uint8Array(1)],
        ['d', new Uint8Array(1)],
      ]),
    /more than 3 keys set in one call/,
  );
  assert.deepEqual(backend.entries('d'), [], 'nothing of a refused call was applied');
  store.apply('d', [
    ['a', new Uint8Array(1)],
    ['b', new Uint8Array(1)],
    ['c', new Uint8Array(1)],
  ]);
  store.apply('d', [['d', new Uint8Array(1)]]);
  assert.throws(() => store.apply('d', [['e', new Uint8Array(1)]]), /more than 4 keys/);
  store.apply('d', [
    ['a', null],
    ['e', new Uint8Array(1)],
  ]);
  assert.equal(backend.entries('d').length, 4);
});

test('a store over its quota is handed to no instance', async () => {
  const backend = new MemoryStore();
  backend.apply('full', [
    ['a', new Uint8Array(1)],
    ['b', new Uint8Array(1)],
  ]);
  const { runtime } = makeRuntime({ store: backend, storeQuotaByOwner: { full: { totalKeys: 1 } } });
  try {
    await assert.rejects(
      runtime.load('full', await probeComponent({ names: ['full'] })),
      (error: Error) => error instanceof StoreQuotaExceeded && /holds 2 keys/.test(error.message),
    );
    assert.equal(runtime.registry.driver('full'), undefined);
  } finally {
    await runtime.close();
  }
});
