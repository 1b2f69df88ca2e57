// The Wasm driver runtime as the controller's DriverLookup: the built-in guest drivers
// (null, host, bridge, macvlan, overlay) and every component in `driversDir`, loaded and followed as it changes;
// their netlink plumbing acts in `hostNetns`, their stores live in the controller's LMDB, and
// a component re-created after a fault or upgraded is told the networks and endpoints it has.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Driver, DriverLookup, IpamLookup, LinkBook } from '../controller/index.js';
import type { Netns } from '../generated/wit/network-driver/interfaces/wasmnet-driver-netlink.js';
import { replayKnownState } from '../controller/driver-replay.js';
import { DriverError, DriverRuntime, DriversDirectory, LinkOwnership, type DriverLimits } from '../drivers/index.js';
import { NftFirewall } from '../firewall/index.js';
import { openNetns, selfNetns } from '../netlink/index.js';
import type { ControllerStore } from './lmdb-store.js';
import { NetlinkBackend } from './netlink-backend.js';
import { nsRef, PersistentOwnershipRegistry } from './persistent-ownership.js';
import { WasmIpam } from './wasm-ipam.js';

/** Where the build puts the built-in drivers (dist/guest-drivers/NAME.wasm). */
const BUILTIN_DIR = fileURLToPath(new URL('../../guest-drivers/', import.meta.url));
const BUILTINS = ['null', 'host', 'bridge', 'macvlan', 'overlay'];

export interface WasmDrivers {
  registry: DriverLookup;
  /** The IPAM drivers components registered (ipam-callback), as the controller's Ipam. */
  ipams: IpamLookup;
  links: LinkBook;
  /** Load, upgrade, unload and health of components, for the API. */
  readonly runtime: DriverRuntime;
  /** Removes the firewall rules whose operation is not `live` (after a crash); returns what they were. */
  sweepFirewall(live: (operation: string) => boolean): string[];
  close(): Promise<void>;
}

export async function startWasmDrivers(options: {
  dataDir: string;
  driversDir?: string;
  hostNetns?: string;
  store: ControllerStore;
  /** Why a component's drivers cannot be unloaded (a network uses one), or undefined. */
  inUse: (names: string[]) => string | undefined;
  /** A re-created or upgraded instance's driver hears of the cluster's nodes (after its replay, before it serves). */
  announce: (name: string, driver: Driver) => Promise<void>;
  warn: (message: string) => void;
  /** Memory, component size, store and log limits of the drivers (defaults otherwise). */
  limits?: DriverLimits;
}): Promise<WasmDrivers> {
  const registry = new PersistentOwnershipRegistry(options.store);
  const ownership = new LinkOwnership(registry);
  const backend = new NetlinkBackend(options.hostNetns, registry);
  const hostNetns = options.hostNetns;
  const firewall = new NftFirewall(() => (hostNetns === undefined ? selfNetns() : openNetns(hostNetns)));
  const runtime = new DriverRuntime({
    ...options.limits,
    ownership,
    firewall,
    dataDir: join(options.dataDir, 'drivers'),
    plumbing: backend,
    store: options.store,
    inUse: (_owner, names) => options.inUse(names),
    replay: async (event) => {
      await replayKnownState(
        options.store,
        {
          ...event,
          ipams: new Map(
            [...event.ipams].map(([name, { ipam, capability }]) => [name, new WasmIpam(ipam, capability)]),
          ),
        },
        options.warn,
      );
      for (const [name, { driver }] of event.drivers) await options.announce(name, driver);
    },
    log: (owner, level, message) => {
      if (level === 'warn' || level === 'error') options.warn(`${owner}: ${message}`);
    },
  });
  /** Deletes a driver's link as the host, forgetting it whether or not it was still there. */
  const deleteLink = async (ns: Netns, name: string): Promise<void> => {
    try {
      await backend.netlink({ op: 'linkDel', args: [ns, name] });
    } catch (error) {
      if (!(error instanceof DriverError && error.kind === 'not-found')) throw error;
    }
    registry.forgetLink(ns, name);
  };
  let directory: DriversDirectory | undefined;
  try {
    for (const name of BUILTINS) {
      const path = join(BUILTIN_DIR, `${name}.wasm`);
      if (existsSync(path)) await runtime.loadFile(path);
    }
    if (options.driversDir !== undefined) {
      directory = new DriversDirectory(
        runtime,
        options.driversDir,
        (event) => {
          if ('error' in event) options.warn(`driver ${event.owner}: ${event.error.message}`);
        },
        new Set(BUILTINS),
      );
      await directory.start();
    }
  } catch (error) {
    directory?.stop();
    await runtime.close();
    await backend.close();
    firewall.close();
    throw error;
  }
  return {
    registry: runtime.registry,
    ipams: {
      ipam: (name) => {
        const entry = runtime.registry.ipam(name);
        return entry === undefined ? undefined : new WasmIpam(entry.ipam, entry.capability);
      },
    },
    runtime,
    links: {
      forgetSandbox: (key) => {
        registry.forgetNamespace({ tag: 'sandbox', val: key });
        backend.indexes.forgetSandbox(key);
      },
      unplugSandbox: async (key) => {
        const ns = { tag: 'sandbox', val: key } as const;
        const alone = options.store.links.in(`sandbox:${key}`).filter((link) => link.peer === undefined);
        await Promise.all(alone.map((link) => deleteLink(ns, link.name)));
      },
      claimCreatedIndex: (sandboxKey, name) => backend.indexes.claimPeer({ tag: 'sandbox', val: sandboxKey }, name),
      sweep: async (operation) => {
        // The host deletes them itself: the driver that made them did not (or could not). A veth
        // peer in a sandbox goes with its host end, any link in a sandbox with its namespace;
        // another link in a live sandbox (a macvlan) is deleted there. Deletes overlap on the deleter's threads.
        const deleted = await Promise.allSettled(
          options.store.links.madeBy(operation).map(async (link) => {
            const ns = nsRef(link.ns);
            const alone = ns.tag === 'sandbox' && link.peer === undefined && existsSync(ns.val);
            if (ns.tag === 'host' || alone) await deleteLink(ns, link.name);
            else registry.forgetLink(ns, link.name);
            return `${link.ns}:${link.name}`;
          }),
        );
        const failed = deleted.find((result) => result.status === 'rejected');
        if (failed !== undefined) throw failed.reason;
        // The operation's firewall rules go with its links.
        return [
          ...deleted.map((result) => (result as PromiseFulfilledResult<string>).value),
          ...firewall.sweep(operation),
        ];
      },
    },
    sweepFirewall: (live) => {
      const orphans = new Set(firewall.rules().flatMap(({ operation }) => (live(operation) ? [] : [operation])));
      return [...orphans].flatMap((operation) => firewall.sweep(operation));
    },
    close: async () => {
      directory?.stop();
      await runtime.close();
      await backend.close();
      firewall.close();
    },
  };
}
