// libnetwork's NetworkController: creates networks and sandboxes, looks them up, and restores
// them all from its store when it starts again.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DefaultIpam, type Ipam } from '../../ipam/index.js';
import { Context } from './context.js';
import type { DriverLimits, DriverRuntime } from '../drivers/index.js';
import type { DriverLookup } from './driver-api.js';
import { InvalidParameterError } from './errors.js';
import { DEFAULT_IPAM, type IpamLookup } from './ipam-api.js';
import { lockKey } from './locks.js';
import type { NetworkOptions, SandboxOptions } from './model.js';
import { Network } from './network.js';
import { NetnsPlumbing } from './netns-plumbing.js';
import { releaseNetns } from '../netlink/index.js';
import type { SandboxPlumbing } from './plumbing.js';
import { restore, type RecoveryReport } from './restore.js';
import { Sandbox } from './sandbox.js';
import { readHostResolvConf } from './sandbox-files.js';
import { ControllerStore } from './store.js';
import { InProcessTableStore, type TableStore } from './tables.js';
import { startWasmDrivers, type WasmDrivers } from './wasm-drivers.js';

export interface ControllerOptions {
  /** Holds the store (LMDB), the sandboxes' hosts/resolv.conf files and, by default, the namespaces. */
  dataDir: string;
  /** A directory of driver components (.wasm), loaded at start and followed as it changes. */
  driversDir?: string;
  /** Directory of the sandboxes' namespace files; `dataDir`/netns by default. */
  netnsDir?: string;
  /** A namespace path that acts as this controller's host namespace (its own "host"). */
  hostNetns?: string;
  /** IPAM's local default pools (dockerd's --default-address-pool). */
  defaultAddressPools?: Array<{ base: string; size: number }>;
  /** Network drivers by type; by default the Wasm driver runtime with the built-in drivers and `driversDir`. */
  drivers?: DriverLookup;
  /** IPAM drivers by name; when absent, DefaultIpam (with defaultAddressPools) as "default" and the Wasm runtime's IPAM drivers by their names. */
  ipams?: IpamLookup;
  /** Table events: share one store between controllers to make them peers. */
  tableStore?: TableStore;
  /** Sandbox plumbing; real namespaces in `netnsDir` by default. */
  plumbing?: SandboxPlumbing;
  /** This host's name in table events; `hostNetns`, else the machine's host name. */
  hostId?: string;
  /** The host's resolv.conf; /etc/resolv.conf by default. */
  resolvConfPath?: string;
  /** Memory, component size, store and log limits of the Wasm drivers, each overridable per owner. */
  driverLimits?: DriverLimits;
  /** Where warnings go (rollback and cleanup failures that do not fail the call). */
  onWarning?: (message: string) => void;
}

export class Controller {
  private constructor(
    private readonly ctx: Context,
    readonly recovery: RecoveryReport,
    private readonly wasm?: WasmDrivers,
  ) {}

  static async create(options: ControllerOptions): Promise<Controller> {
    if (options.dataDir === '') throw new InvalidParameterError('dataDir must not be empty');
    const warn = options.onWarning ?? ((message: string) => process.emitWarning(message, 'WasmnetWarning'));
    const plumbing =
      options.plumbing ?? new NetnsPlumbing(options.netnsDir ?? join(options.dataDir, 'netns'), options.hostNetns);
    const resolvConfPath = options.resolvConfPath ?? '/etc/resolv.conf';
    const store = ControllerStore.open(options.dataDir);
    const networks = new Map<string, Network>();
    let wasm: WasmDrivers | undefined;
    if (options.drivers === undefined) {
      try {
        wasm = await startWasmDrivers({
          dataDir: options.dataDir,
          store,
          warn,
          ...(options.driversDir === undefined ? {} : { driversDir: options.driversDir }),
          ...(options.hostNetns === undefined ? {} : { hostNetns: options.hostNetns }),
          ...(options.driverLimits === undefined ? {} : { limits: options.driverLimits }),
          inUse: (names) => {
            const using = [...networks.values()].filter(
              (network) => names.includes(network.type()) || names.includes(network.record.ipamDriver),
            );
            return using.length === 0
              ? undefined
              : `network ${using.map((network) => network.name()).join(', ')} uses it`;
          },
        });
      } catch (error) {
        await store.close();
        throw error;
      }
    }
    const ctx = new Context(
      options.hostId ?? options.hostNetns ?? hostname(),
      options.dataDir,
      store,
      options.drivers ?? (wasm as WasmDrivers).registry,
      options.ipams ?? defaultIpams(options.defaultAddressPools, wasm?.ipams),
      plumbing,
      options.tableStore ?? new InProcessTableStore(),
      () => readHostResolvConf(resolvConfPath),
      warn,
      networks,
      wasm?.links,
    );
    try {
      return new Controller(ctx, await ctx.alone(() => restore(ctx)), wasm);
    } catch (error) {
      await wasm?.close();
      await plumbing.close();
      await store.close();
      throw error;
    }
  }

  /** The store, which also backs the drivers' key/value spaces (the runtime's StoreBackend). */
  get store(): ControllerStore {
    return this.ctx.store;
  }

  /** The Wasm driver runtime, or undefined when `drivers` replaced it. */
  get runtime(): DriverRuntime | undefined {
    return this.wasm?.runtime;
  }

  newNetwork(type: string, name: string, options: NetworkOptions = {}): Promise<Network> {
    return Network.create(this.ctx, type, name, options);
  }

  newSandbox(containerId: string, options: SandboxOptions = {}): Promise<Sandbox> {
    return this.ctx.locked([lockKey.container(containerId)], () => Sandbox.create(this.ctx, containerId, options));
  }

  networks(): Network[] {
    return [...this.ctx.networks.values()];
  }

  networkByName(name: string): Network | undefined {
    return this.networks().find((network) => network.name() === name);
  }

  networkById(id: string): Network | undefined {
    return this.ctx.networks.get(id);
  }

  sandboxes(): Sandbox[] {
    return [...this.ctx.sandboxes.values()];
  }

  sandboxById(id: string): Sandbox | undefined {
    return this.ctx.sandboxes.get(id);
  }

  sandboxByContainerId(containerId: string): Sandbox | undefined {
    return this.ctx.sandboxes.byContainer(containerId);
  }

  /** Stops serving: networks, endpoints and sandboxes stay (the next start restores them). */
  async close(): Promise<void> {
    if (this.ctx.closed) return;
    await this.ctx.alone(async () => {
      for (const network of this.ctx.networks.values()) network.unsubscribeTables();
      this.ctx.closed = true;
    });
    await this.wasm?.close();
    await this.ctx.plumbing.close();
    releaseNamespaces(this.sandboxes());
    await this.ctx.store.close();
  }
}

/**
 * Lets go of this process's handles on the sandboxes' namespaces: an open handle keeps a
 * namespace, and the veths in it, alive after whoever runs next (another process, after a
 * restart) deletes it.
 */
function releaseNamespaces(sandboxes: Sandbox[]): void {
  for (const sandbox of sandboxes) if (!sandbox.usesHostNamespace()) releaseNetns(sandbox.key());
}

/** DefaultIpam as "default", any other name from `drivers` (the Wasm runtime's IPAM drivers). */
function defaultIpams(defaultAddressPools: ControllerOptions['defaultAddressPools'], drivers?: IpamLookup): IpamLookup {
  const ipam = new DefaultIpam(defaultAddressPools === undefined ? {} : { defaultAddressPools });
  return { ipam: (name: string): Ipam | undefined => (name === DEFAULT_IPAM ? ipam : drivers?.ipam(name)) };
}
