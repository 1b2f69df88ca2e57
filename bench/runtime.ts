// Driver runtime benchmark: a trivial call main thread → worker → guest → back (beside an
// in-process call of the same component), hot load warm and cold, the longest call delay
// during an upgrade, and RSS per loaded driver with 50 drivers loaded.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { percentile, type BenchOptions, type BenchReport } from './report.js';
import { DriverRuntime, DriversDirectory, MemoryStore, type Driver } from '../host/drivers/index.js';
import { ComponentCompiler } from '../host/drivers/compiler.js';
import { HOST_IMPORT_FUNCTIONS, type HostImports } from '../host/wit/host-imports.js';
import { probeComponent } from '../test/drivers/fixtures.js';

const CALLS = 20_000;
const DRIVERS = 50;

const plumbing = { netlink: (): undefined => undefined };

function place(dir: string, file: string, bytes: Uint8Array): void {
  writeFileSync(join(dir, `.${file}.tmp`), bytes);
  renameSync(join(dir, `.${file}.tmp`), join(dir, file));
}

async function timeCalls(call: () => unknown, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await call();
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  return samples;
}

/** The same component called on the main thread, no worker: the floor of a call. */
async function inProcessCall(dataDir: string, bytes: Uint8Array): Promise<() => unknown> {
  const compiler = new ComponentCompiler(join(dataDir, 'cache'));
  const compiled = await compiler.compile(bytes, 64 * 2 ** 20);
  await compiler.close();
  const { instantiate } = (await import(pathToFileURL(compiled.jsPath).href)) as {
    instantiate(
      get: (path: string) => object,
      imports: object,
    ): { driver: { deleteEndpoint(h: number, n: string, e: string): void } };
  };
  const noop = (): undefined => undefined;
  class Resource {}
  const component = instantiate((path) => compiled.modules[path]!, {
    'wasmnet:driver/log': { log: noop },
    'wasmnet:driver/store': { get: noop, set: noop, delete: noop, keys: () => [] } satisfies HostImports['store'],
    'wasmnet:driver/netlink': Object.fromEntries(HOST_IMPORT_FUNCTIONS.netlink.map((op) => [op, noop])),
    'wasmnet:driver/driver-callback': { registerDriver: noop },
    'wasmnet:driver/resources': {
      NetworkInfo: Resource,
      InterfaceInfo: Resource,
      InterfaceNameInfo: Resource,
      JoinInfo: Resource,
    },
  });
  return () => component.driver.deleteEndpoint(1, 'net', 'ep');
}

export async function run(_options: BenchOptions): Promise<BenchReport> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wasmnet-bench-runtime-'));
  const dir = mkdtempSync(join(tmpdir(), 'wasmnet-bench-drivers-'));
  const runtime = new DriverRuntime({ dataDir, plumbing, store: new MemoryStore(), log: () => undefined });
  const loaded = new Map<string, () => void>();
  runtime.registry.on('change', (change) => {
    if (change.change === 'added') loaded.get(change.owner)?.();
  });
  const watcher = new DriversDirectory(runtime, dir, () => undefined, new Set(), 1);
  await watcher.start();
  const hotLoad = async (owner: string, bytes: Uint8Array): Promise<number> => {
    const registered = new Promise<void>((resolve) => loaded.set(owner, resolve));
    const start = performance.now();
    place(dir, `${owner}.wasm`, bytes);
    await registered;
    return performance.now() - start;
  };
  try {
    // Cold: bytes never seen (transpile in the pool), first as the runtime starts (its
    // warm-up still running), then into a running runtime; warm: same bytes under another name.
    const version = Date.now() % 1_000_000;
    const first = await probeComponent({ names: ['cold-0'], version });
    const bytes = await probeComponent({ names: ['cold-1'], version: version + 1 });
    const hotLoadColdAtStartMs = await hotLoad('cold-0', first);
    await runtime.ready();
    const hotLoadColdMs = await hotLoad('bench', bytes);
    const warmBytes = await probeComponent({ names: ['warm'], version: 1 });
    const warm: number[] = [];
    for (let i = 0; i < 6; i++) {
      warm.push(await hotLoad(`warm-${i}`, warmBytes));
      await runtime.unload(`warm-${i}`);
    }
    warm.shift(); // the first may have transpiled (a cache left by an earlier run makes it warm too)
    const hotLoadWarmMs = percentile(warm, 50);

    const driver = (): Driver => runtime.registry.driver('cold-1')!.driver;
    await timeCalls(() => driver().deleteEndpoint('net', 'ep'), 2000);
    const calls = await timeCalls(() => driver().deleteEndpoint('net', 'ep'), CALLS);
    const local = await inProcessCall(dataDir, bytes);
    await timeCalls(local, 2000);
    const inProcess = await timeCalls(local, CALLS);
    const callP50Us = percentile(calls, 50);
    const callP99Us = percentile(calls, 99);
    const localP50 = percentile(inProcess, 50);
    const localP99 = percentile(inProcess, 99);

    // Upgrade under a stream of calls: the longest any call waited.
    const next = await probeComponent({ names: ['cold-1'], version: version + 2 });
    // The peer: the same stream for as long, with no upgrade (the machine's own hiccups).
    const streamWhile = async (work: Promise<unknown>): Promise<number[]> => {
      let streaming = true;
      const samples: number[] = [];
      const stream = (async () => {
        while (streaming) samples.push(...(await timeCalls(() => driver().deleteEndpoint('net', 'ep'), 1)));
      })();
      await work;
      streaming = false;
      await stream;
      return samples;
    };
    const upgradeStart = performance.now();
    const during = await streamWhile(runtime.upgrade('bench', next));
    const upgradeMs = performance.now() - upgradeStart;
    const quiet = await streamWhile(new Promise((resolve) => setTimeout(resolve, upgradeMs)));
    const upgradeMaxDelayMs = Math.max(...during) / 1000;
    const quietMaxDelayMs = Math.max(...quiet) / 1000;

    // Many drivers at once: RSS per driver (each registers its own name, so each is its own component).
    const many = await Promise.all(Array.from({ length: DRIVERS }, (_, i) => probeComponent({ names: [`many-${i}`] })));
    const warmer = new ComponentCompiler(join(dataDir, 'cache'), 2);
    await Promise.all(many.map((component) => warmer.compile(component, 64 * 2 ** 20)));
    await warmer.close();
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    for (const [i, component] of many.entries()) await runtime.load(`many-${i}`, component);
    const answered = await Promise.all(
      many.map((_, i) =>
        runtime.registry
          .driver(`many-${i}`)
          ?.driver.deleteEndpoint('n', 'e')
          .then(
            () => true,
            () => false,
          ),
      ),
    );
    const driversLoaded = answered.filter(Boolean).length;
    const rssPerDriverMB = (process.memoryUsage().rss - rssBefore) / 2 ** 20 / DRIVERS;

    return {
      rows: [
        {
          label: 'call p50 (main → worker → guest → back)',
          value: callP50Us,
          unit: 'µs',
          note: `in-process ${localP50.toFixed(1)} µs (×${(callP50Us / localP50).toFixed(1)})`,
        },
        {
          label: 'call p99',
          value: callP99Us,
          unit: 'µs',
          note: `in-process ${localP99.toFixed(1)} µs (×${(callP99Us / localP99).toFixed(1)})`,
        },
        { label: 'hot load, warm cache', value: hotLoadWarmMs, unit: 'ms' },
        { label: 'hot load, cold (transpile), running runtime', value: hotLoadColdMs, unit: 'ms' },
        {
          label: 'hot load, cold, as the runtime starts',
          value: hotLoadColdAtStartMs,
          unit: 'ms',
          note: 'jco warm-up still running',
        },
        {
          label: 'longest call during an upgrade',
          value: upgradeMaxDelayMs,
          unit: 'ms',
          note: `${during.length} calls in ${upgradeMs.toFixed(0)} ms; no upgrade, same time: ${quietMaxDelayMs.toFixed(1)} ms`,
        },
        { label: 'RSS per loaded driver', value: rssPerDriverMB, unit: 'MB', note: `${DRIVERS} loaded at once` },
      ],
      figures: {
        callP50Us,
        callP99Us,
        inProcessCallP50Us: localP50,
        hotLoadWarmMs,
        hotLoadColdMs,
        hotLoadColdAtStartMs,
        upgradeMaxDelayMs,
        quietMaxDelayMs,
        rssPerDriverMB,
        driversLoaded,
      },
    };
  } finally {
    watcher.stop();
    await runtime.close();
    for (const made of [dataDir, dir]) rmSync(made, { recursive: true, force: true });
  }
}
