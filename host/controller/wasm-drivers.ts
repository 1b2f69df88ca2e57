// The Wasm driver runtime as the controller's DriverLookup: the built-in guest drivers
// (null, host, bridge) and every component in `driversDir`, loaded and followed as it changes;
// their netlink plumbing acts in `hostNetns`, their stores live in the controller's LMDB.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { DriverError, DriverRuntime, DriversDirectory, LinkOwnership } from '../drivers/index.js';
import type { LinkBook } from './context.js';
import type { DriverLookup } from './driver-api.js';
import { NetlinkBackend } from './netlink-backend.js';
import { nsRef, PersistentOwnershipRegistry } from './persistent-ownership.js';
import type { ControllerStore } from './store.js';

/** Where the build puts the built-in drivers (dist/guest-drivers/NAME.wasm). */
const BUILTIN_DIR = fileURLToPath(new URL('../../guest-drivers/', import.meta.url));
const BUILTINS = ['null', 'host', 'bridge'];

export interface WasmDrivers {
  registry: DriverLookup;
  /** The runtime itself: load, unload and upgrade components. */
  runtime: DriverRuntime;
  links: LinkBook;
  close(): Promise<void>;
}

export async function startWasmDrivers(options: {
  dataDir: string;
  driversDir?: string;
  hostNetns?: string;
  store: ControllerStore;
  /** Why a component's drivers cannot be unloaded (a network uses one), or undefined. */
  inUse: (names: string[]) => string | undefined;
  warn: (message: string) => void;
}): Promise<WasmDrivers> {
  const registry = new PersistentOwnershipRegistry(options.store);
  const ownership = new LinkOwnership(registry);
  const backend = new NetlinkBackend(options.hostNetns, registry);
  const runtime = new DriverRuntime({
    ownership,
    dataDir: join(options.dataDir, 'drivers'),
    plumbing: backend,
    store: options.store,
    inUse: (_owner, names) => options.inUse(names),
    log: (owner, level, message) => { if (level === 'warn' || level === 'error') options.warn(`${owner}: ${message}`); },
  });
  let directory: DriversDirectory | undefined;
  try {
    for (const name of BUILTINS) {
      const path = join(BUILTIN_DIR, `${name}.wasm`);
      if (existsSync(path)) await runtime.loadFile(path);
    }
    if (options.driversDir !== undefined) {
      directory = new DriversDirectory(runtime, options.driversDir, (event) => {
        if ('error' in event) options.warn(`driver ${event.owner}: ${event.error.message}`);
      });
      await directory.start();
    }
  } catch (error) {
    directory?.stop();
    await runtime.close();
    throw error;
  }
  return {
    registry: runtime.registry,
    runtime,
    links: {
      forgetSandbox: (key) => registry.forgetNamespace({ tag: 'sandbox', val: key }),
      begin: (operation) => { registry.operation = operation; },
      sweep: async (operation) => {
        const swept: string[] = [];
        for (const link of options.store.links.all()) {
          if (link.operation !== operation) continue;
          const ns = nsRef(link.ns);
          // The host deletes it itself: the driver that made it did not (or could not). A link
          // in a sandbox goes with its veth peer or its namespace.
          try {
            if (ns.tag === 'host') backend.netlink('linkDel', ns, [link.name]);
          } catch (error) {
            if (!(error instanceof DriverError && error.kind === 'not-found')) throw error;
          }
          registry.forgetLink(ns, link.name);
          swept.push(`${link.ns}:${link.name}`);
        }
        return swept;
      },
    },
    close: async () => {
      directory?.stop();
      await runtime.close();
    },
  };
}

