// wasmnet driver ls|load|upgrade|unload|inspect, and wasmnet ipam ls.
import { resolve } from 'node:path';
import { seg } from '../api/client.js';
import type { DriverView, PoolView } from '../api/port.js';
import { EXIT_OK, group, parse, type Command } from './command.js';
import { print, progress } from './output.js';

const ls: Command = {
  name: 'ls',
  summary: 'List loaded driver components with their health',
  help: `Usage: wasmnet driver ls [--format table|json]

List the loaded driver components: name, health, restarts, what each registered, version hash.
`,
  async run(args, ctx) {
    parse(args, {}, { min: 0, max: 0, names: '' });
    const drivers = await ctx.client.get<DriverView[]>('/v1/drivers');
    print(ctx, drivers, ['NAME', 'HEALTHY', 'RESTARTS', 'REGISTERS', 'VERSION'], (d) => [
      d.name,
      healthOf(d),
      String(d.restarts),
      d.registrations.map((r) => `${r.kind}:${r.name}`).join(',') || '-',
      d.hash.slice(0, 12),
    ]);
    return EXIT_OK;
  },
};

function healthOf(driver: DriverView): string {
  const state = driver.healthy ? 'yes' : `no (${driver.lastFault ?? `${driver.consecutiveFaults} faults`})`;
  return driver.retryAfterMs === undefined ? state : `${state}, backing off ${driver.retryAfterMs} ms`;
}

async function withProgress<T>(ctx: Parameters<Command['run']>[1], message: string, task: Promise<T>): Promise<T> {
  const indicator = progress(ctx, message);
  try {
    return await task;
  } finally {
    indicator.stop();
  }
}

const load: Command = {
  name: 'load',
  summary: 'Load a driver component (.wasm)',
  help: `Usage: wasmnet driver load [--name NAME] PATH

Check, compile and start a driver component; its drivers are usable at once.

Options:
      --name NAME   Component name (default: the file name without .wasm)
`,
  async run(args, ctx) {
    const p = parse(args, { name: { type: 'string' } }, { min: 1, max: 1, names: 'PATH' });
    const path = resolve(p.positionals[0]!);
    const name = p.str('name');
    const driver = await withProgress(
      ctx,
      `Loading ${path}`,
      ctx.client.post<DriverView>('/v1/drivers', { path, ...(name ? { name } : {}) }),
    );
    ctx.io.stdout(ctx.json ? `${JSON.stringify(driver, null, 2)}\n` : `${driver.name}\n`);
    return EXIT_OK;
  },
};

const upgrade: Command = {
  name: 'upgrade',
  summary: 'Replace a loaded component with a new version, networks staying up',
  help: `Usage: wasmnet driver upgrade NAME PATH

Swap in a new version of a loaded component between two calls.
`,
  async run(args, ctx) {
    const p = parse(args, {}, { min: 2, max: 2, names: 'NAME and PATH' });
    const [name, file] = p.positionals as [string, string];
    const driver = await withProgress(
      ctx,
      `Upgrading ${name}`,
      ctx.client.post<DriverView>(`/v1/drivers/${seg(name)}/upgrade`, { path: resolve(file) }),
    );
    ctx.io.stdout(ctx.json ? `${JSON.stringify(driver, null, 2)}\n` : `${driver.name} ${driver.hash.slice(0, 12)}\n`);
    return EXIT_OK;
  },
};

const unload: Command = {
  name: 'unload',
  summary: 'Unload a driver component no network uses',
  help: `Usage: wasmnet driver unload NAME

Unload a component; refused while a network uses one of its drivers.
`,
  async run(args, ctx) {
    const p = parse(args, {}, { min: 1, max: 1, names: 'NAME' });
    await ctx.client.delete(`/v1/drivers/${seg(p.positionals[0]!)}`);
    ctx.io.stdout(`${p.positionals[0]}\n`);
    return EXIT_OK;
  },
};

const inspect: Command = {
  name: 'inspect',
  summary: 'Show a driver component in detail (JSON)',
  help: `Usage: wasmnet driver inspect NAME

Print a loaded component as JSON: health, faults, restarts, registrations, version hash.
`,
  async run(args, ctx) {
    const p = parse(args, {}, { min: 1, max: 1, names: 'NAME' });
    ctx.io.stdout(
      `${JSON.stringify(await ctx.client.get<DriverView>(`/v1/drivers/${seg(p.positionals[0]!)}`), null, 2)}\n`,
    );
    return EXIT_OK;
  },
};

export const driverCommand = group('driver', 'Manage driver components', [ls, load, upgrade, unload, inspect]);

const poolsLs: Command = {
  name: 'ls',
  summary: 'List IPAM pools and their usage',
  help: `Usage: wasmnet ipam ls [--format table|json]

List the networks' address pools: network, pool, gateway, addresses used of the pool's size.
`,
  async run(args, ctx) {
    parse(args, {}, { min: 0, max: 0, names: '' });
    const pools = await ctx.client.get<PoolView[]>('/v1/ipam/pools');
    print(ctx, pools, ['NETWORK', 'ADDRESS SPACE', 'POOL', 'GATEWAY', 'USED'], (p) => [
      p.networkName,
      p.addressSpace,
      p.pool,
      p.gateway ?? '-',
      `${p.allocated}/${p.size}`,
    ]);
    return EXIT_OK;
  },
};

export const ipamCommand = group('ipam', 'Inspect IPAM', [poolsLs]);
