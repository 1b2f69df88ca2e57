import { test } from 'node:test';
import assert from 'node:assert/strict';
import { componentEmbed, componentNew } from '@bytecodealliance/jco';
import { checkComponent } from '../../host/drivers/component-check.js';
import { InvalidParameter } from '../../host/drivers/index.js';
import { capMemory } from '../../host/drivers/memory-cap.js';
import { coreModule, dummyComponent, probeComponent, witSource } from './fixtures.js';
import { makeRuntime, steadyStream } from './harness.js';

test('recognizes components of the network-driver and ipam-driver worlds', async () => {
  assert.equal(await checkComponent(await dummyComponent('network-driver')), 'network-driver');
  assert.equal(await checkComponent(await dummyComponent('ipam-driver')), 'ipam-driver');
});

test('refuses malformed bytes, a core module and an incompatible version with a clear error', async () => {
  await assert.rejects(checkComponent(new TextEncoder().encode('not wasm at all')), /bad magic number/);
  await assert.rejects(checkComponent(await coreModule()), /core WebAssembly module, not a component/);
  const truncated = (await dummyComponent('network-driver')).subarray(0, 200);
  await assert.rejects(
    checkComponent(truncated),
    (error: Error) => error instanceof InvalidParameter && /malformed component/.test(error.message),
  );
  const future = await componentNew(
    await componentEmbed({ dummy: true, witSource: witSource().replaceAll('0.1.0', '0.2.0'), world: 'network-driver' }),
  );
  await assert.rejects(
    checkComponent(future),
    /wasmnet:driver\/.*@0\.2\.0; this host implements wasmnet:driver@0\.1\.0/,
  );
});

test('names what is missing when a component matches no world', async () => {
  const source = `${witSource()}\nworld half { export plugin; import log; }`;
  const half = await componentNew(await componentEmbed({ dummy: true, witSource: source, world: 'half' }));
  await assert.rejects(
    checkComponent(half),
    /network-driver needs wasmnet:driver\/driver; ipam-driver needs wasmnet:driver\/ipam/,
  );
  const foreign = `${witSource()}\ninterface extra { f: func(); }\nworld wide { include network-driver; import extra; }`;
  const wide = await componentNew(await componentEmbed({ dummy: true, witSource: foreign, world: 'wide' }));
  await assert.rejects(
    checkComponent(wide),
    /imports wasmnet:driver\/extra, which the network-driver world does not provide/,
  );
});

test("caps a module's linear memory", async () => {
  const { parse } = await import('@bytecodealliance/jco');
  const bytes = capMemory(await parse('(module (memory (export "m") 1))'), 4 * 65536);
  const WA = (
    globalThis as unknown as {
      WebAssembly: {
        Instance: new (m: unknown) => { exports: { m: { grow(n: number): number } } };
        Module: new (b: Uint8Array) => unknown;
      };
    }
  ).WebAssembly;
  const memory = new WA.Instance(new WA.Module(bytes)).exports.m;
  assert.equal(memory.grow(3), 1);
  assert.throws(() => memory.grow(1), RangeError);
  await assert.rejects(
    async () => capMemory(await parse('(module (memory 8))'), 4 * 65536),
    /needs 0.5 MiB of memory at start; its cap is 0.25 MiB/,
  );
});

test('loading a bad file fails that load only, with the reason, while another driver keeps serving', async () => {
  const { runtime } = makeRuntime();
  try {
    await runtime.load('good', await probeComponent({ names: ['good'] }));
    const steady = steadyStream(() => runtime.registry.driver('good')!.driver);
    await assert.rejects(runtime.load('junk', new Uint8Array([1, 2, 3, 4])), InvalidParameter);
    await assert.rejects(runtime.load('core', await coreModule()), /not a component/);
    await assert.rejects(runtime.load('dummy', await dummyComponent('network-driver')), /init trapped/);
    await assert.rejects(runtime.load('dummy-ipam', await dummyComponent('ipam-driver')), /init trapped/);
    assert.deepEqual(runtime.owners, ['good']);
    const { ok, failures } = await steady.stop();
    assert.deepEqual(failures, []);
    assert.ok(ok > 0);
  } finally {
    await runtime.close();
  }
});
