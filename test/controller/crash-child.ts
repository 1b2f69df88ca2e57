// The crash test's child: a random create/join/leave/delete workload over the Wasm bridge driver,
// run until the parent kills it with SIGKILL. Does nothing unless the parent set
// WASMNET_CRASH_CHILD (node --test also runs this file on its own).
import { Controller, type Endpoint, type Network, type Sandbox } from '../../host/controller/index.js';

const config = process.env['WASMNET_CRASH_CHILD'];
if (config !== undefined) await run(JSON.parse(config) as { dataDir: string; netnsDir: string; hostNetns: string });

async function run(dirs: { dataDir: string; netnsDir: string; hostNetns: string }): Promise<void> {
  const controller = await Controller.create({ ...dirs, onWarning: () => undefined });
  process.stdout.write('ready\n');
  const pick = <T>(items: T[]): T | undefined => items[Math.floor(Math.random() * items.length)];
  const endpoints = (): Endpoint[] => controller.networks().flatMap((network) => network.endpoints());
  let counter = Date.now() % 100000;
  const steps: Array<() => Promise<unknown> | undefined> = [
    () => (controller.networks().length < 3 ? controller.newNetwork('bridge', `n${counter++}`) : undefined),
    () => (endpoints().length < 8 ? pick(controller.networks())?.createEndpoint(`e${counter++}`) : undefined),
    () => (controller.sandboxes().length < 4 ? controller.newSandbox(`c${counter++}`) : undefined),
    () => {
      const endpoint = pick(endpoints().filter((e) => e.sandbox() === undefined));
      const sandbox = endpoint && pick(controller.sandboxes().filter((s) => !s.endpoints().some((e) => e.network === endpoint.network)));
      return endpoint && sandbox ? endpoint.join(sandbox) : undefined;
    },
    () => {
      const endpoint = pick(endpoints().filter((e) => e.sandbox() !== undefined));
      return endpoint?.leave(endpoint.sandbox() as Sandbox);
    },
    () => pick(endpoints().filter((e) => e.sandbox() === undefined))?.delete(),
    () => pick(controller.sandboxes())?.delete(),
    () => pick(controller.networks().filter((n: Network) => n.endpoints().length === 0))?.delete(),
  ];
  // An operation that fails is a finding (each step picks only what the rules allow): it is
  // reported on stdout, and the workload stops so that the parent fails instead of killing it.
  for (;;) {
    try {
      await (pick(steps) as () => Promise<unknown> | undefined)();
    } catch (error) {
      process.stdout.write(`failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}\n`);
      process.exit(3);
    }
  }
}
