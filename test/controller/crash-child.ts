// The crash test's child: random create/join/leave/delete workloads over the Wasm bridge driver,
// run until the parent kills it with SIGKILL. Does nothing unless the parent set
// WASMNET_CRASH_CHILD (node --test also runs this file on its own).
import { Controller, type Endpoint, type Network, type Sandbox } from '../../host/index.js';

const config = process.env.WASMNET_CRASH_CHILD;
if (config !== undefined) await run(JSON.parse(config) as { dataDir: string; netnsDir: string; hostNetns: string });

async function run(dirs: { dataDir: string; netnsDir: string; hostNetns: string }): Promise<void> {
  const controller = await Controller.create({ ...dirs, onWarning: () => undefined });
  process.stdout.write('ready\n');
  // Two workloads at once, each on objects of its own, so that a kill often finds two operations
  // in flight, and no step breaks a rule because of the other workload.
  await Promise.all(['a', 'b'].map((prefix) => workload(controller, prefix)));
}

async function workload(controller: Controller, prefix: string): Promise<void> {
  const pick = <T>(items: T[]): T | undefined => items[Math.floor(Math.random() * items.length)];
  const networks = (): Network[] => controller.networks().filter((network) => network.name().startsWith(prefix));
  const sandboxes = (): Sandbox[] =>
    controller.sandboxes().filter((sandbox) => sandbox.containerId().startsWith(prefix));
  const endpoints = (): Endpoint[] => networks().flatMap((network) => network.endpoints());
  let counter = Date.now() % 100000;
  const steps: Array<() => Promise<unknown> | undefined> = [
    () => (networks().length < 2 ? controller.newNetwork('bridge', `${prefix}n${counter++}`) : undefined),
    () => (endpoints().length < 4 ? pick(networks())?.createEndpoint(`e${counter++}`) : undefined),
    () => (sandboxes().length < 2 ? controller.newSandbox(`${prefix}c${counter++}`) : undefined),
    () => {
      const endpoint = pick(endpoints().filter((e) => e.sandbox() === undefined));
      const sandbox =
        endpoint && pick(sandboxes().filter((s) => !s.endpoints().some((e) => e.network === endpoint.network)));
      return endpoint && sandbox ? endpoint.join(sandbox) : undefined;
    },
    () => {
      const endpoint = pick(endpoints().filter((e) => e.sandbox() !== undefined));
      return endpoint?.leave(endpoint.sandbox() as Sandbox);
    },
    () => pick(endpoints().filter((e) => e.sandbox() === undefined))?.delete(),
    () => pick(sandboxes())?.delete(),
    () => pick(networks().filter((n) => n.endpoints().length === 0))?.delete(),
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
    // A step with nothing to do returns at once: let the other workload run.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
