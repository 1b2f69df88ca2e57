// The Wasm driver runtime as the controller's DriverLookup: the built-in guest drivers
// (null, host, bridge) and every component in `driversDir`, loaded and followed as it changes;
// their netlink plumbing acts in `hostNetns`, their stores live in the controller's LMDB, and
// a component re-created after a fault or upgraded is told the networks and endpoints it has.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import {
  DriverError,
  DriverRuntime,
  DriversDirectory,
  LinkOwnership,
  type Driver,
  type DriverLimits,
  type ReplayEvent,
} from '../drivers/index.js';
import { toOptions, type LinkBook } from './context.js';
import { programsExternalConnectivity, type DriverLookup } from './driver-api.js';
import type { IpamLookup } from './ipam-api.js';
import { interfaceData } from './endpoint.js';
import { replayAddresses, replayPools } from './ipam-replay.js';
import { pickGateway } from './join.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from './model.js';
import { NetlinkBackend } from './netlink-backend.js';
import { driverOptions, ipamData } from './network.js';
import { nsRef, PersistentOwnershipRegistry } from './persistent-ownership.js';
import type { ControllerStore } from './store.js';
import { WasmIpam } from './wasm-ipam.js';

/** Where the build puts the built-in drivers (dist/guest-drivers/NAME.wasm). */
const BUILTIN_DIR = fileURLToPath(new URL('../../guest-drivers/', import.meta.url));
const BUILTINS = ['null', 'host', 'bridge'];

export interface WasmDrivers {
  registry: DriverLookup;
  /** The IPAM drivers components registered (ipam-callback), as the controller's Ipam. */
  ipams: IpamLookup;
  links: LinkBook;
  /** Load, upgrade, unload and health of components, for the API. */
  readonly runtime: DriverRuntime;
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
  /** Memory, component size, store and log limits of the drivers (defaults otherwise). */
  limits?: DriverLimits;
}): Promise<WasmDrivers> {
  const registry = new PersistentOwnershipRegistry(options.store);
  const ownership = new LinkOwnership(registry);
  const backend = new NetlinkBackend(options.hostNetns, registry);
  const runtime = new DriverRuntime({
    ...options.limits,
    ownership,
    dataDir: join(options.dataDir, 'drivers'),
    plumbing: backend,
    store: options.store,
    inUse: (_owner, names) => options.inUse(names),
    replay: (event) => replayKnownState(options.store, event, options.warn),
    log: (owner, level, message) => {
      if (level === 'warn' || level === 'error') options.warn(`${owner}: ${message}`);
    },
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
    await backend.close();
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
      claimCreatedIndex: (sandboxKey, name) => backend.indexes.claimPeer({ tag: 'sandbox', val: sandboxKey }, name),
      sweep: async (operation) => {
        const swept: string[] = [];
        for (const link of options.store.links.madeBy(operation)) {
          const ns = nsRef(link.ns);
          // The host deletes it itself: the driver that made it did not (or could not). A link
          // in a sandbox goes with its veth peer or its namespace.
          try {
            if (ns.tag === 'host') await backend.netlink({ op: 'linkDel', args: [ns, link.name] });
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
      await backend.close();
    },
  };
}

/**
 * libnetwork-style restore of a component's new instance (after a fault or an upgrade), before
 * it serves calls: CreateNetwork for every network of its drivers the store holds, then
 * CreateEndpoint for each endpoint, Join for each joined one, and ProgramExternalConnectivity
 * for a join that is its sandbox's gateway endpoint; for its IPAM drivers, the pools, gateways,
 * aux addresses and endpoint addresses of the networks they serve. Operations still `creating`
 * are left to their own rollback. A driver that kept its state in its `store` may refuse what
 * it already has (a bridge that exists): refusals are reported in one warning, never fatal.
 */
async function replayKnownState(
  store: ControllerStore,
  event: ReplayEvent,
  warn: (message: string) => void,
): Promise<void> {
  const refused: string[] = [];
  const attempt = async (what: string, call: () => Promise<unknown>): Promise<void> => {
    try {
      await call();
    } catch (error) {
      refused.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const known: KnownState = {
    networks: store.networks.all(),
    endpoints: store.endpoints.all(),
    sandboxes: store.sandboxes.all(),
  };
  for (const network of known.networks) {
    const entry = event.drivers.get(network.type);
    if (entry === undefined || network.state === 'creating') continue;
    const { driver, capability } = entry;
    await attempt(`CreateNetwork ${network.name}`, () =>
      driver.createNetwork(network.id, driverOptions(network), ipamData(network.ipv4), ipamData(network.ipv6)),
    );
    await replayEndpoints(known, driver, programsExternalConnectivity(capability), network, attempt);
  }
  for (const [name, { ipam, capability }] of event.ipams)
    await replayIpam(known, name, new WasmIpam(ipam, capability), (message) => refused.push(message));
  if (refused.length > 0)
    warn(
      `${event.owner}: replay after ${event.reason}: ${refused.length} call(s) refused (a driver with a store may have them already): ${refused.join('; ')}`,
    );
}

/**
 * The pools and addresses an IPAM driver gave to the networks that use it. A pool that comes
 * back under another id is reported: the store's records still name the old one.
 */
async function replayIpam(
  known: KnownState,
  name: string,
  ipam: WasmIpam,
  refuse: (message: string) => void,
): Promise<void> {
  const poolIds = new Map<string, string>();
  for (const network of known.networks) {
    if (network.ipamDriver !== name || network.state !== 'ready') continue;
    await replayPools(ipam, structuredClone(network), poolIds, refuse);
    for (const endpoint of known.endpoints) {
      if (endpoint.networkId === network.id && endpoint.state === 'ready')
        await replayAddresses(ipam, endpoint, refuse);
    }
  }
  for (const [before, after] of poolIds)
    if (before !== after) refuse(`IPAM ${name} gave pool ${before} back as ${after}`);
}

/** What the store holds, read once per replay. */
interface KnownState {
  networks: NetworkRecord[];
  endpoints: EndpointRecord[];
  sandboxes: SandboxRecord[];
}

async function replayEndpoints(
  known: KnownState,
  driver: Driver,
  programs: boolean,
  network: NetworkRecord,
  attempt: (what: string, call: () => Promise<unknown>) => Promise<void>,
): Promise<void> {
  const sandboxes = new Map(known.sandboxes.map((sandbox) => [sandbox.id, sandbox]));
  const networks = new Map(known.networks.map((record) => [record.id, record]));
  /** The sandbox's gateway endpoint, chosen among its settled joins as the controller chooses it. */
  const gatewayOf = (sandboxId: string): EndpointRecord | undefined =>
    pickGateway(
      known.endpoints.filter((record) => record.join?.sandboxId === sandboxId && record.join.state !== 'creating'),
      (record) => ({
        networkInternal: networks.get(record.networkId)?.internal ?? false,
        networkName: networks.get(record.networkId)?.name ?? '',
        join: record.join,
      }),
    );
  for (const endpoint of known.endpoints) {
    if (endpoint.networkId !== network.id || endpoint.state === 'creating') continue;
    await attempt(`CreateEndpoint ${endpoint.name}`, () =>
      driver.createEndpoint(network.id, endpoint.id, interfaceData(endpoint), toOptions(endpoint.options)),
    );
    const join = endpoint.join;
    const sandbox = join === undefined || join.state === 'creating' ? undefined : sandboxes.get(join.sandboxId);
    if (sandbox === undefined) continue;
    const options = toOptions(sandbox.config.options ?? {});
    await attempt(`Join ${endpoint.name}`, () => driver.join(network.id, endpoint.id, sandbox.key, options));
    if (programs && !network.internal && gatewayOf(sandbox.id)?.id === endpoint.id) {
      await attempt(`ProgramExternalConnectivity ${endpoint.name}`, () =>
        driver.programExternalConnectivity(network.id, endpoint.id, options),
      );
    }
  }
}
