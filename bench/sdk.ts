// SDK figures: size of a minimal driver component, time to build it, and the cost of an
// in-process export call through the generated bindings, against a plain JS call.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockInterfaceInfo, SDK_ROOT, buildDriver, loadDriver } from '@wasmnet/sdk';
import { percentile, type BenchOptions, type BenchReport } from './report.js';

const MINIMAL_DRIVER = `import { Capability, ExternalConnectivity, Driver, Options, InterfaceInfo, Scope, WitError, registerDriver } from '@wasmnet/sdk';
class Minimal extends Driver {
  leave(networkId: string, endpointId: string): WitError | null { return null; }
  createEndpoint(networkId: string, endpointId: string, iface: InterfaceInfo, options: Options): WitError | null {
    return iface.setMacAddress('02:42:ac:11:00:02');
  }
}
registerDriver('minimal', new Minimal(), new Capability(Scope.Local, Scope.Local, ExternalConnectivity.None));
`;

const SAMPLES = 20_000;
const BATCH = 10;

/** Microseconds per call, one sample per batch of calls. */
function timeCalls(call: () => unknown): number[] {
  for (let i = 0; i < 2_000; i++) call();
  const samples: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const start = performance.now();
    for (let i = 0; i < BATCH; i++) call();
    samples.push(((performance.now() - start) * 1000) / BATCH);
  }
  return samples;
}

/** A plain JS function with the export's shape: the floor an in-process call is compared to. */
function plainLeave(driver: number, networkId: string, endpointId: string): undefined {
  if (driver < 0 || networkId.length + endpointId.length < 0) throw new Error('unreachable');
  return undefined;
}

export async function run(_options: BenchOptions): Promise<BenchReport> {
  const project = mkdtempSync(join(tmpdir(), 'wasmnet-bench-sdk-'));
  try {
    mkdirSync(join(project, 'assembly'));
    mkdirSync(join(project, 'node_modules', '@wasmnet'), { recursive: true });
    symlinkSync(SDK_ROOT, join(project, 'node_modules', '@wasmnet', 'sdk'));
    writeFileSync(join(project, 'assembly', 'index.ts'), MINIMAL_DRIVER);

    let started = performance.now();
    const cold = await buildDriver({ projectDir: project, name: 'minimal' });
    const coldSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    await buildDriver({ projectDir: project, name: 'minimal' });
    const warmSeconds = (performance.now() - started) / 1000;

    const { driver, handle } = await loadDriver(cold.component);
    const h = handle('minimal');
    const networkId = 'a3f1c9e2b7d4a3f1c9e2b7d4a3f1c9e2b7d4a3f1c9e2b7d4a3f1c9e2b7d4a3f1';
    const endpointId = 'e7d4a3f1c9e2b7d4a3f1c9e2b7d4a3f1c9e2b7d4a3f1c9e2b7d4a3f1c9e2b7d4';
    const leave = percentile(
      timeCalls(() => driver.leave(h, networkId, endpointId)),
      50,
    );
    const plain = percentile(
      timeCalls(() => plainLeave(h, networkId, endpointId)),
      50,
    );
    const withResource = percentile(
      timeCalls(() =>
        driver.createEndpoint(h, networkId, endpointId, new MockInterfaceInfo(), [['com.docker.network.mtu', '1500']]),
      ),
      50,
    );
    const type = percentile(
      timeCalls(() => driver.type(h)),
      50,
    );

    return {
      rows: [
        {
          label: 'minimal driver component',
          value: cold.component.byteLength,
          unit: 'bytes',
          note: `core module ${cold.coreBytes} bytes; limit 65536`,
        },
        {
          label: 'build, first in process',
          value: coldSeconds,
          unit: 's',
          note: 'asc + rename + embed + componentNew; limit 5 s',
        },
        { label: 'build, again', value: warmSeconds, unit: 's' },
        {
          label: 'export call leave(3 args) p50',
          value: leave,
          unit: 'µs',
          note: `${(leave / plain).toFixed(0)}× a plain JS call (${plain.toFixed(3)} µs); limit 10 µs`,
        },
        { label: 'create-endpoint + set-mac import p50', value: withResource, unit: 'µs' },
        { label: 'type() → string p50', value: type, unit: 'µs' },
      ],
      figures: {
        minimalDriverBytes: cold.component.byteLength,
        buildSeconds: Number(coldSeconds.toFixed(3)),
        callP50Us: Number(leave.toFixed(3)),
        plainJsCallP50Us: Number(plain.toFixed(4)),
        callVsPlainJsRatio: Number((leave / plain).toFixed(1)),
        createEndpointP50Us: Number(withResource.toFixed(3)),
      },
    };
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
}
