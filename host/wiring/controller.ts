// The composition root: `Controller.create` opens the LMDB store, the namespace plumbing and the
// Wasm driver runtime (netlink backend, link ownership in LMDB), plugs them into the model's
// ports and restores the model.
import { isIPv4 } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type GlobalIpam, SplitIpam } from '../../ipam/global/index.js';
import { openClusterIpam } from './cluster-ipam.js';
import { DefaultIpam, type Ipam } from '../../ipam/index.js';
import {
  type ControllerPorts,
  type DriverLookup,
  InvalidParameterError,
  type IpamLookup,
  type Network,
  NetworkController,
  type SandboxPlumbing,
  type TableStore,
  InProcessTableStore,
} from '../controller/index.js';
import { DEFAULT_IPAM } from '../controller/ipam-api.js';
import { readHostResolvConf } from '../controller/sandbox-files.js';
import { Cluster, type ClusterOptions } from '../cluster/index.js';
import { EmbeddedDns, type EmbeddedDnsOptions } from '../dns/embedded-dns.js';
import {
  type DriverLimits,
  DriverRegistry,
  type DriverRuntime,
  linkOperation,
  type RegistryChange,
} from '../drivers/index.js';
import { ControllerStore } from './lmdb-store.js';
import { NetnsPlumbing } from './netns-plumbing.js';
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
  /**
   * The GlobalDefault address space of the default IPAM: it gets the pools of global-scope
   * networks, LocalDefault stays on this host. With `cluster`, a GlobalIpam on the cluster's
   * etcd by default; without either, DefaultIpam holds both spaces on this host.
   */
  globalIpam?: Ipam;
  /** IPAM drivers by name; when absent, DefaultIpam (with defaultAddressPools) as "default" and the Wasm runtime's IPAM drivers by their names. */
  ipams?: IpamLookup;
  /** Table events: share one store between controllers to make them peers. */
  tableStore?: TableStore;
  /** Sandbox plumbing; real namespaces in `netnsDir` by default. */
  plumbing?: SandboxPlumbing;
  /** This host's name in table events; `hostNetns`, else the machine's host name. */
  hostId?: string;
  /**
   * The address other nodes reach this one at, handed to its drivers' DiscoverNew (`self`) as
   * the node's address and bind address (an overlay's VTEP). Default: the host namespace's first
   * IPv4 address that is not loopback, else 127.0.0.1.
   */
  advertiseAddress?: string;
  /** The host's resolv.conf; /etc/resolv.conf by default. */
  resolvConfPath?: string;
  /** Memory, component size, link, store and log limits of the Wasm drivers, each overridable per owner. */
  driverLimits?: DriverLimits;
  /** Where warnings go (rollback and cleanup failures that do not fail the call). */
  onWarning?: (message: string) => void;
  /** The embedded DNS's budgets (host/dns), or false for none: sandboxes then get the host's resolvers. */
  embeddedDns?: Omit<EmbeddedDnsOptions, 'hostNetns'> | false;
  /**
   * Cluster mode on etcd (host/cluster): the node's name becomes its `hostId`, its advertise
   * address the drivers' `self`, table events go through etcd (unless `tableStore` is given)
   * and global networks are shared. Absent: a single host.
   */
  cluster?: ClusterOptions;
}

export class Controller extends NetworkController {
  private constructor(
    ports: ControllerPorts,
    private readonly lmdb: ControllerStore,
    private readonly wasm: WasmDrivers | undefined,
    /** The cluster this controller is a node of, or undefined for a single host. */
    readonly cluster: Cluster | undefined,
    private readonly leaveCluster: () => Promise<void>,
  ) {
    super(ports, wasm === undefined ? undefined : () => wasm.close());
  }

  static async create(options: ControllerOptions): Promise<Controller> {
    if (options.dataDir === '') throw new InvalidParameterError('dataDir must not be empty');
    const warn = options.onWarning ?? ((message: string) => process.emitWarning(message, 'WasmnetWarning'));
    const plumbing =
      options.plumbing ?? new NetnsPlumbing(options.netnsDir ?? join(options.dataDir, 'netns'), options.hostNetns);
    const resolvConfPath = options.resolvConfPath ?? '/etc/resolv.conf';
    const cluster = options.cluster === undefined ? undefined : await Cluster.join(options.cluster, warn);
    let clusterIpam: GlobalIpam | undefined;
    // The cluster's IPAM stops answering borrows before the node leaves.
    const leaveCluster = async (): Promise<void> => {
      await clusterIpam?.close();
      await cluster?.close();
    };
    let store: ControllerStore;
    let globalIpam = options.globalIpam;
    try {
      if (globalIpam === undefined && cluster !== undefined)
        globalIpam = clusterIpam = await openClusterIpam(cluster, warn);
      store = ControllerStore.open(options.dataDir);
    } catch (error) {
      await leaveCluster();
      throw error;
    }
    // Assigned before the restore: a component is in use as soon as a restored network uses it.
    let controller: Controller | undefined;
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
          inUse: (names) => usedBy(controller?.networks() ?? [], names),
          announce: async (name, driver) => controller?.discovery.announceTo(name, driver),
        });
      } catch (error) {
        await store.close();
        await leaveCluster();
        throw error;
      }
    }
    const hostId = cluster?.nodeName ?? options.hostId ?? options.hostNetns ?? hostname();
    const address = cluster?.node.address ?? options.advertiseAddress ?? defaultAdvertiseAddress(plumbing);
    controller = new Controller(
      {
        hostId,
        node: { name: hostId, address, bindAddress: address },
        dataDir: options.dataDir,
        store,
        drivers: options.drivers ?? (wasm as WasmDrivers).registry,
        ipams: options.ipams ?? defaultIpams(options.defaultAddressPools, globalIpam, wasm?.ipams),
        plumbing,
        tables: options.tableStore ?? cluster?.tables ?? new InProcessTableStore(),
        hostResolvConf: () => readHostResolvConf(resolvConfPath),
        warn,
        ...(wasm === undefined ? {} : { links: wasm.links }),
        ...(cluster === undefined ? {} : { cluster }),
        ...(options.embeddedDns === false
          ? {}
          : { dns: new EmbeddedDns({ ...options.embeddedDns, hostNetns: options.hostNetns ?? null }) }),
      },
      store,
      wasm,
      cluster,
      leaveCluster,
    );
    try {
      await controller.restore();
      wasm?.sweepFirewall((operation) => liveOperation(controller as Controller, operation));
      controller.#announceLateDrivers(options.drivers ?? wasm?.registry);
      return controller;
    } catch (error) {
      await wasm?.close();
      await plumbing.close();
      await store.close();
      await leaveCluster();
      throw error;
    }
  }

  /** A driver registered after the start hears of the cluster's nodes (components loaded later). */
  #announceLateDrivers(lookup: DriverLookup | undefined): void {
    if (!(lookup instanceof DriverRegistry)) return;
    const registry = lookup;
    const onChange = (change: RegistryChange): void => {
      const entry = change.kind === 'driver' && change.change === 'added' ? registry.driver(change.name) : undefined;
      if (entry !== undefined) void this.discovery.announceTo(change.name, entry.driver);
    };
    registry.on('change', onChange);
    this.#stopAnnouncing = () => registry.off('change', onChange);
  }

  #stopAnnouncing: () => void = () => undefined;

  /** Stops serving; a node leaves its cluster last (its record and table entries go with its lease). */
  override async close(): Promise<void> {
    this.#stopAnnouncing();
    await super.close();
    await this.leaveCluster();
  }

  /** The store, which also backs the drivers' key/value spaces (the runtime's StoreBackend). */
  override get store(): ControllerStore {
    return this.lmdb;
  }

  /** The Wasm driver runtime, or undefined when `drivers` replaced it. */
  get runtime(): DriverRuntime | undefined {
    return this.wasm?.runtime;
  }
}

/** Why a component's drivers cannot be unloaded (networks use one of `names`), or undefined. */
function usedBy(networks: Network[], names: string[]): string | undefined {
  const using = networks.filter(
    (network) => names.includes(network.type()) || names.includes(network.record.ipamDriver),
  );
  return using.length === 0 ? undefined : `network ${using.map((network) => network.name()).join(', ')} uses it`;
}

/** A firewall rule's operation still has its object: the network, the endpoint, or the endpoint's join. */
function liveOperation(controller: Controller, operation: string): boolean {
  const of = linkOperation.parse(operation);
  if (of === undefined) return true;
  const networks = controller.networks();
  if ('network' in of) return networks.some((network) => network.id() === of.network);
  const endpoints = networks.flatMap((network) => network.endpoints());
  if ('endpoint' in of) return endpoints.some((endpoint) => endpoint.id() === of.endpoint);
  return endpoints.some((endpoint) => endpoint.id() === of.join && endpoint.record.join !== undefined);
}

/** The host namespace's first IPv4 address that is not loopback (a single host advertises it to itself). */
function defaultAdvertiseAddress(plumbing: SandboxPlumbing): string {
  const ipv4 = plumbing
    .hostAddresses()
    .map((cidr) => cidr.split('/')[0] as string)
    .filter((ip) => isIPv4(ip) && !ip.startsWith('127.'));
  return ipv4[0] ?? '127.0.0.1';
}

/**
 * DefaultIpam as "default" (its GlobalDefault space in `globalIpam` when given), any other name
 * from `drivers` (the Wasm runtime's IPAM drivers).
 */
function defaultIpams(
  defaultAddressPools: ControllerOptions['defaultAddressPools'],
  globalIpam: Ipam | undefined,
  drivers?: IpamLookup,
): IpamLookup {
  const local = new DefaultIpam(defaultAddressPools === undefined ? {} : { defaultAddressPools });
  const ipam = globalIpam === undefined ? local : new SplitIpam(local, globalIpam);
  return { ipam: (name: string): Ipam | undefined => (name === DEFAULT_IPAM ? ipam : drivers?.ipam(name)) };
}
