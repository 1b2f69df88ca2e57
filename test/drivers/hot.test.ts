import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DriversDirectory,
  FileStore,
  Forbidden,
  type RegistryChange,
  type WatchEvent,
} from '../../host/drivers/index.js';
import { probeComponent } from './fixtures.js';
import { tempDir } from '../support/temp-dir.js';
import { makeRuntime, sleep, steadyStream } from './harness.js';

/** Writes a file the way a deployer should: complete, then renamed into place. */
function place(dir: string, file: string, bytes: Uint8Array): void {
  writeFileSync(join(dir, `.${file}.tmp`), bytes);
  renameSync(join(dir, `.${file}.tmp`), join(dir, file));
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await sleep(25);
  assert.ok(check(), `timed out waiting for ${what}`);
}

test('hot load, upgrade and unload from a watched directory under a steady stream of calls, with zero failures', async (t) => {
  const dir = tempDir(t, 'wasmnet-drivers-dir-');
  let inUse = true;
  const { runtime } = makeRuntime({ inUse: (owner) => (inUse ? `network n1 uses ${owner}` : undefined) });
  const events: Array<WatchEvent | { owner: string; error: Error }> = [];
  const changes: RegistryChange[] = [];
  runtime.registry.on('change', (change) => changes.push(change));
  const watcher = new DriversDirectory(runtime, dir, (event) => events.push(event));
  try {
    place(dir, 'good.wasm', await probeComponent({ names: ['good'] }));
    await watcher.start();
    assert.ok(runtime.registry.driver('good'), 'a file present at start is loaded');
    const steady = steadyStream(() => runtime.registry.driver('good')!.driver);
    const hot = steadyStream(() => {
      const entry = runtime.registry.driver('hot');
      if (entry === undefined) return runtime.registry.driver('good')!.driver;
      return entry.driver;
    });

    place(dir, 'hot.wasm', await probeComponent({ names: ['hot'] }));
    await until(() => runtime.registry.driver('hot') !== undefined, 'hot to load');
    await runtime.registry.driver('hot')!.driver.createNetwork('kept', [], [], []);
    const before = runtime.slot('hot')!.hash;

    place(dir, 'hot.wasm', await probeComponent({ names: ['hot'], version: 2 }));
    await until(() => runtime.slot('hot')!.hash !== before, 'hot to upgrade');
    assert.deepEqual(
      await runtime.registry.driver('hot')!.driver.endpointOperInfo('kept', 'e'),
      [['kept', 'kept']],
      "the new version has the old one's store",
    );

    rmSync(join(dir, 'hot.wasm'));
    await until(() => events.some((e) => 'error' in e && e.owner === 'hot'), 'the refused unload');
    assert.ok(runtime.registry.driver('hot'), 'a driver in use stays');
    const refusal = events.find((e) => 'error' in e && e.owner === 'hot') as { error: Error };
    assert.ok(refusal.error instanceof Forbidden);
    assert.match(refusal.error.message, /hot stays loaded: network n1 uses hot/);

    inUse = false;
    await watcher.sync('hot.wasm');
    assert.equal(runtime.registry.driver('hot'), undefined, 'unloaded once nothing uses it');

    const results = [await steady.stop(), await hot.stop()];
    for (const { ok, failures } of results) {
      assert.deepEqual(failures, []);
      assert.ok(ok > 0);
    }
    assert.deepEqual(
      changes.filter((c) => c.name === 'hot').map((c) => c.change),
      ['added', 'changed', 'removed'],
    );
    assert.deepEqual(
      events.filter((e) => 'action' in e).map((e) => `${e.owner}:${(e as WatchEvent).action}`),
      ['good:loaded', 'hot:loaded', 'hot:upgraded', 'hot:unloaded'],
    );
  } finally {
    watcher.stop();
    await runtime.close();
  }
});

test('the same operations as functions: load, upgrade, unload; a refused upgrade leaves the old version serving', async () => {
  const { runtime } = makeRuntime();
  try {
    await runtime.load('fn', await probeComponent({ names: ['fn'] }));
    await assert.rejects(
      runtime.load('fn', await probeComponent({ names: ['fn'] })),
      /already loaded; upgrade it instead/,
    );
    await assert.rejects(runtime.upgrade('fn', new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])), /not a component/);
    assert.deepEqual(await runtime.registry.driver('fn')!.driver.endpointOperInfo('n', 'e'), []);
    const before = runtime.slot('fn')!.hash;
    await assert.rejects(
      runtime.upgrade('fn', await probeComponent({ names: ['fn', 'fn-extra'] })),
      /upgrade of fn refused: it registers driver:fn, driver:fn-extra instead of driver:fn/,
    );
    assert.equal(runtime.registry.driver('fn-extra'), undefined, 'a name the new version adds is not registered');
    await assert.rejects(
      runtime.upgrade('fn', await probeComponent({ names: ['fn-other'], version: 2 })),
      /upgrade of fn refused/,
    );
    assert.equal(runtime.slot('fn')!.hash, before, 'the old version serves on');
    assert.deepEqual(await runtime.registry.driver('fn')!.driver.endpointOperInfo('n', 'e'), []);
    await runtime.upgrade('fn', await probeComponent({ names: ['fn'], version: 3 }));
    assert.notEqual(runtime.slot('fn')!.hash, before, 'the same names: upgraded');
    await runtime.unload('fn');
    assert.equal(runtime.registry.driver('fn'), undefined);
    await assert.rejects(runtime.unload('fn'), /no component fn is loaded/);
  } finally {
    await runtime.close();
  }
});

test("the file store keeps a driver's state across runtimes", async (t) => {
  const dir = tempDir(t, 'wasmnet-drivers-store-');
  const store = new FileStore(dir);
  store.apply('a', [
    ['k', new Uint8Array([1, 2])],
    ['gone', new Uint8Array([3])],
  ]);
  store.apply('a', [['gone', null]]);
  assert.deepEqual(readdirSync(dir), ['a.json']);
  assert.deepEqual(new FileStore(dir).entries('a'), [['k', new Uint8Array([1, 2])]]);

  const first = makeRuntime({ store });
  await first.runtime.load('persist', await probeComponent({ names: ['persist'] }));
  await first.runtime.registry.driver('persist')!.driver.createNetwork('n9', [], [], []);
  await first.runtime.close();
  const second = makeRuntime({ store: new FileStore(dir) });
  try {
    await second.runtime.load('persist', await probeComponent({ names: ['persist'] }));
    assert.deepEqual(await second.runtime.registry.driver('persist')!.driver.endpointOperInfo('n9', 'e'), [
      ['n9', 'n9'],
    ]);
  } finally {
    await second.runtime.close();
  }
});
