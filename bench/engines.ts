// `npm run bench -- engines`: the API's round trip for `network inspect` over the unix socket,
// against the real controller with its Wasm drivers, plumbing in a private namespace.
// The `docker run` comparison needs dockerd to use the Docker plugin, which waits for the
// controller's sandboxes on an external namespace: its figures are null until then.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient } from '../host/api/client.js';
import { ControllerAdapter } from '../host/api/controller-adapter.js';
import { ApiServer } from '../host/api/server.js';
import { Controller } from '../host/controller/index.js';
import { createNetns, deleteNetns } from '../host/netlink/index.js';
import { percentile, type BenchOptions, type BenchReport } from './report.js';

const WARMUP = 200;
const SAMPLES = 2000;

export async function run(_options: BenchOptions): Promise<BenchReport> {
  const dir = `/run/wasmnet-bench-engines-${process.pid}`;
  const host = createNetns(join(dir, 'host'), 'host');
  try {
    const controller = await Controller.create({ dataDir: join(dir, 'data'), netnsDir: join(dir, 'sandboxes'), hostNetns: host.path as string });
    const server = await ApiServer.listen(new ControllerAdapter(controller), { socketPath: join(dir, 'api.sock') });
    const client = new ApiClient(server.socketPath);
    try {
      await client.post('/v1/networks', { name: 'bench', driver: 'bridge', ipam: { config: [{ subnet: '10.125.0.0/24' }] } });
      for (let i = 0; i < WARMUP; i += 1) await client.get('/v1/networks/bench');
      const samples: number[] = [];
      for (let i = 0; i < SAMPLES; i += 1) {
        const started = performance.now();
        await client.get('/v1/networks/bench');
        samples.push(performance.now() - started);
      }
      await client.delete('/v1/networks/bench');
      const p50 = percentile(samples, 50);
      const p99 = percentile(samples, 99);
      return {
        rows: [
          { label: 'API network inspect p50', value: p50, unit: 'ms', note: 'target ≤ 1 ms' },
          { label: 'API network inspect p99', value: p99, unit: 'ms' },
        ],
        figures: { apiInspectP50Ms: p50, apiInspectP99Ms: p99, dockerRunWasmnetMs: null, dockerRunBuiltinMs: null, ratioVsBuiltin: null },
      };
    } finally {
      await server.close();
      await controller.close();
    }
  } finally {
    for (const sub of [join(dir, 'sandboxes'), join(dir, 'host')]) {
      if (!existsSync(sub)) continue;
      for (const file of readdirSync(sub)) {
        try {
          deleteNetns(join(sub, file));
        } catch {
          rmSync(join(sub, file), { force: true });
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
