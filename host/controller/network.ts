// libnetwork's network: created through its driver with IPAM pools, holds endpoints,
// deleted only when it has none.
import { excerpt } from '../excerpt.js';
import { randomBytes } from 'node:crypto';
import { hostCidr, ipOf } from './cidr.js';
import type { ClusterPort, GlobalNetworkSpec } from './cluster-api.js';
import { toOptions, withUndo, type Context, type Undo } from './context.js';
import { type Driver, type IpamData, isGlobal, type Options } from './driver-api.js';
import { Endpoint } from './endpoint.js';
import {
  ActiveEndpointsError,
  asNetworkError,
  InvalidParameterError,
  NetworkNameError,
  NoSuchNetworkError,
  ForbiddenError,
} from './errors.js';
import { allocatePools, releasePools } from './ipam-alloc.js';
import { linkOperation } from '../drivers/index.js';
import { DEFAULT_IPAM } from './ipam-api.js';
import { lockKey } from './locks.js';
import type { EndpointOptions, IpamConfig, NetworkOptions, NetworkRecord, PoolRecord } from './model.js';

/** netlabel keys the controller adds to a driver's network options. */
export const ENABLE_IPV6 = 'com.docker.network.enable_ipv6';
export const INTERNAL = 'com.docker.network.internal';

export class Network {
  readonly #endpoints = new Map<string, Endpoint>();

  /** @internal the controller creates networks */
  constructor(
    private readonly ctx: Context,
    readonly record: NetworkRecord,
  ) {}

  /** @internal locks the name and the id while it creates the network. */
  static create(ctx: Context, type: string, name: string, options: NetworkOptions): Promise<Network> {
    const id = options.id ?? randomBytes(32).toString('hex');
    return ctx.locked([lockKey.networkName(name), lockKey.network(id)], () =>
      Network.#create(ctx, type, name, { ...options, id }),
    );
  }

  /**
   * @internal a global network another node created (or one that existed when the cluster's
   * watch started): created here with its pools and allocated options; never allocated again.
   */
  static adoptGlobal(ctx: Context, spec: GlobalNetworkSpec): Promise<Network | undefined> {
    return ctx.locked([lockKey.networkName(spec.name), lockKey.network(spec.id)], async () => {
      if (ctx.networks.has(spec.id)) return undefined;
      // The cluster shares global networks only: another node cannot make a local one here.
      if (!isGlobal(ctx.drivers.driver(spec.type)?.capability))
        throw new ForbiddenError(
          `network ${excerpt(spec.name)}: driver ${excerpt(spec.type)} is not a global driver here`,
        );
      return Network.#create(ctx, spec.type, spec.name, specOptions(spec), spec);
    });
  }

  static async #create(
    ctx: Context,
    type: string,
    name: string,
    options: NetworkOptions & { id: string },
    adopted?: GlobalNetworkSpec,
  ): Promise<Network> {
    const id = options.id;
    if (name.trim() === '') throw new InvalidParameterError('a network needs a name', 'network-name');
    for (const network of ctx.networks.values()) if (network.name() === name) throw new NetworkNameError(name);
    if (!/^[0-9a-zA-Z][0-9a-zA-Z_.-]*$/.test(id)) throw new InvalidParameterError(`invalid network id ${excerpt(id)}`);
    if (ctx.networks.has(id)) throw new ForbiddenError(`a network with id ${id} already exists`, 'network-id');
    const entry = ctx.drivers.driver(type);
    const driver = ctx.driver(type);
    const ipamDriver = options.ipam?.driver ?? DEFAULT_IPAM;
    const ipam = ctx.ipam(ipamDriver);
    const record: NetworkRecord = {
      id,
      name,
      type,
      enableIPv6: options.enableIPv6 ?? false,
      internal: options.internal ?? false,
      labels: { ...options.labels },
      driverOptions: { ...options.driverOptions },
      ipamDriver,
      ipamOptions: { ...options.ipam?.options },
      ipv4: [],
      ipv6: [],
      tables: [],
      state: 'creating',
    };
    const global = isGlobal(entry?.capability);
    const cluster = global ? ctx.cluster : undefined;
    if (cluster !== undefined) record.global = true;
    return withUndo(ctx.warn, async (undo) => {
      if (cluster !== undefined && adopted === undefined) {
        await cluster.reserveNetwork(id, name);
        undo.push('release the name in the cluster', () => cluster.unpublishNetwork(id, name));
      }
      ctx.store.networks.put(id, record);
      undo.push('forget the network', () => ctx.store.networks.delete(id));
      const pools = await allocatePools(
        ipam,
        {
          global,
          enableIPv6: record.enableIPv6,
          configs: options.ipam?.config ?? [],
          options: record.ipamOptions,
          exclude: () => exclude(ctx),
          hostAddresses: () => ctx.plumbing.hostAddresses(),
          adopted: adopted !== undefined,
        },
        undo,
      );
      record.ipv4 = pools.ipv4;
      record.ipv6 = pools.ipv6;
      if (global && adopted === undefined) await allocate(ctx, driver, record, undo);
      // What a failed (or undone) CreateNetwork made goes, whatever the driver removed itself.
      undo.push('remove what CreateNetwork made', () => ctx.links?.sweep(linkOperation.network(id)));
      let effects;
      try {
        effects = await driver.createNetwork(id, driverOptions(record), ipamData(record.ipv4), ipamData(record.ipv6));
      } catch (error) {
        throw asNetworkError(error, `driver ${type} CreateNetwork`);
      }
      undo.push('driver DeleteNetwork', () => driver.deleteNetwork(id));
      record.tables = [...new Set(effects.tables.map((table) => table.tableName))];
      const network = new Network(ctx, record);
      undo.push('unsubscribe tables', () => network.unsubscribeTables());
      await network.subscribeTables();
      record.state = 'ready';
      ctx.store.networks.put(id, record);
      if (cluster !== undefined && adopted === undefined) await cluster.publishNetwork(globalSpec(record));
      ctx.networks.set(id, network);
      return network;
    });
  }

  id(): string {
    return this.record.id;
  }

  name(): string {
    return this.record.name;
  }

  type(): string {
    return this.record.type;
  }

  internal(): boolean {
    return this.record.internal;
  }

  info(): {
    id: string;
    name: string;
    type: string;
    enableIPv6: boolean;
    internal: boolean;
    labels: Record<string, string>;
    driverOptions: Record<string, string>;
    ipv4: PoolRecord[];
    ipv6: PoolRecord[];
  } {
    const {
      id,
      name,
      type,
      enableIPv6,
      internal,
      labels,
      driverOptions: options,
      ipv4,
      ipv6,
    } = structuredClone(this.record);
    return { id, name, type, enableIPv6, internal, labels, driverOptions: options, ipv4, ipv6 };
  }

  endpoints(): Endpoint[] {
    return [...this.#endpoints.values()];
  }

  endpointByName(name: string): Endpoint | undefined {
    return this.endpoints().find((endpoint) => endpoint.name() === name);
  }

  endpointById(id: string): Endpoint | undefined {
    return this.#endpoints.get(id);
  }

  /** Locks the network, as libnetwork's CreateEndpoint does (endpoint names are unique in it). */
  createEndpoint(name: string, options: EndpointOptions = {}): Promise<Endpoint> {
    return this.ctx.locked([lockKey.network(this.id())], async () => {
      this.#assertLive();
      // This node's first endpoint on a global network: the cluster learns the network is in use here.
      const claim = this.#endpoints.size === 0 ? this.#cluster() : undefined;
      await claim?.claimEndpoints(this.id());
      try {
        const endpoint = await Endpoint.create(this.ctx, this, name, options);
        this.#endpoints.set(endpoint.id(), endpoint);
        return endpoint;
      } catch (error) {
        await this.releaseClusterClaim();
        throw error;
      }
    });
  }

  delete(): Promise<void> {
    return this.ctx.locked([lockKey.network(this.id())], async () => {
      this.#assertLive();
      if (this.#endpoints.size > 0) throw new ActiveEndpointsError(this.name(), this.id(), this.#endpoints.size);
      const cluster = this.#cluster();
      // No other node may have endpoints on it either, nor create one from here on.
      await cluster?.beginDelete(this.id(), this.name());
      this.record.state = 'deleting';
      this.ctx.store.networks.put(this.id(), this.record);
      const driver = this.ctx.driver(this.type());
      try {
        await driver.deleteNetwork(this.id());
      } catch (error) {
        this.record.state = 'ready';
        this.ctx.store.networks.put(this.id(), this.record);
        await cluster?.abortDelete(this.id());
        throw asNetworkError(error, `driver ${this.type()} DeleteNetwork`);
      }
      if (isGlobal(this.ctx.drivers.driver(this.type())?.capability)) {
        // Once per network, after its last DeleteNetwork: what NetworkAllocate took goes back.
        await driver.networkFree(this.id()).catch((error: unknown) => {
          this.ctx.warn(
            `driver ${this.type()} NetworkFree ${this.name()}: ${error instanceof Error ? error.message : String(error)}`,
          );
        });
      }
      // From here on the network is gone for the driver: finish the cleanup whatever fails.
      await this.#forgetLocally();
      // The other nodes delete it when it leaves the cluster.
      await cluster?.unpublishNetwork(this.id(), this.name());
    });
  }

  /**
   * @internal another node deleted this global network: it goes here too (DeleteNetwork, its
   * pools), without NetworkFree (the deleting node ran it). One with endpoints here stays.
   */
  deletedInCluster(): Promise<void> {
    return this.ctx.locked([lockKey.network(this.id())], async () => {
      if (this.ctx.networks.get(this.id()) !== this) return;
      if (this.#endpoints.size > 0) {
        this.ctx.warn(
          `global network ${this.name()} was deleted in the cluster but has ${this.#endpoints.size} endpoint(s) here: kept`,
        );
        return;
      }
      this.record.state = 'deleting';
      this.ctx.store.networks.put(this.id(), this.record);
      try {
        await this.ctx.driver(this.type()).deleteNetwork(this.id());
      } catch (error) {
        this.ctx.warn(
          `driver ${this.type()} DeleteNetwork ${this.name()} (deleted in the cluster): ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      await this.ctx.links?.sweep(linkOperation.network(this.id())).catch(() => undefined);
      await this.#forgetLocally();
    });
  }

  async #forgetLocally(): Promise<void> {
    this.unsubscribeTables();
    this.ctx.networks.delete(this.id());
    await releasePools(
      this.ctx.ipam(this.record.ipamDriver),
      [...this.record.ipv4, ...this.record.ipv6],
      this.ctx.warn,
    );
    this.ctx.store.networks.delete(this.id());
  }

  /** @internal after an endpoint here is deleted: the last one releases this node's claim in the cluster. */
  async releaseClusterClaim(): Promise<void> {
    const cluster = this.#cluster();
    if (cluster === undefined || this.#endpoints.size > 0) return;
    await cluster.releaseEndpoints(this.id()).catch((error: unknown) => {
      this.ctx.warn(
        `cluster: release of ${this.name()}'s endpoints on this node: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  }

  /** The cluster, when this network lives in it. */
  #cluster(): ClusterPort | undefined {
    return this.record.global === true ? this.ctx.cluster : undefined;
  }

  /** @internal */
  adopt(endpoint: Endpoint): void {
    this.#endpoints.set(endpoint.id(), endpoint);
  }

  /** @internal */
  forget(endpoint: Endpoint): void {
    this.#endpoints.delete(endpoint.id());
  }

  /** @internal the driver's TableEventRegister subscriptions, delivered to its EventNotify. */
  async subscribeTables(): Promise<void> {
    const subscriptions = [];
    for (const tableName of this.record.tables) {
      subscriptions.push(
        await this.ctx.tables.subscribe(this.ctx.hostId, this.id(), tableName, async (event) => {
          try {
            await this.ctx
              .driver(this.type())
              .eventNotify(event.type, event.networkId, event.tableName, event.key, event.value);
          } catch (error) {
            this.ctx.warn(
              `driver ${this.type()} EventNotify for ${event.tableName}/${event.key}: ${error instanceof Error ? error.message : String(error)}`,
            );
          }
        }),
      );
    }
    this.ctx.subscriptions.set(this.id(), subscriptions);
  }

  /** @internal */
  unsubscribeTables(): void {
    for (const subscription of this.ctx.subscriptions.get(this.id()) ?? []) subscription.unsubscribe();
    this.ctx.subscriptions.delete(this.id());
  }

  #assertLive(): void {
    if (this.ctx.networks.get(this.id()) !== this) throw new NoSuchNetworkError(this.name());
  }
}

/**
 * libnetwork's NetworkAllocate, once per network of a global driver, on the node that creates it:
 * the options it returns join the network's driver options, so every node's CreateNetwork (and
 * replay) gets them.
 */
async function allocate(ctx: Context, driver: Driver, record: NetworkRecord, undo: Undo): Promise<void> {
  let allocated: Options;
  try {
    allocated = await driver.networkAllocate(
      record.id,
      driverOptions(record),
      ipamData(record.ipv4),
      ipamData(record.ipv6),
    );
  } catch (error) {
    throw asNetworkError(error, `driver ${record.type} NetworkAllocate`);
  }
  undo.push('driver NetworkFree', () => driver.networkFree(record.id));
  record.driverOptions = { ...record.driverOptions, ...Object.fromEntries(allocated) };
  ctx.store.networks.put(record.id, record);
}

/** What the other nodes need to create the network. */
function globalSpec(record: NetworkRecord): GlobalNetworkSpec {
  const { state: _state, tables: _tables, global: _global, ...spec } = structuredClone(record);
  return spec;
}

/** A spec as the options of a local create: the same pools, gateways and aux addresses. */
function specOptions(spec: GlobalNetworkSpec): NetworkOptions & { id: string } {
  const config = (pool: PoolRecord): IpamConfig => ({
    subnet: pool.pool,
    ...(pool.subPool === undefined ? {} : { ipRange: pool.subPool }),
    ...(pool.gateway === undefined ? {} : { gateway: ipOf(pool.gateway) }),
    auxAddresses: Object.fromEntries(Object.entries(pool.auxAddresses).map(([name, cidr]) => [name, ipOf(cidr)])),
  });
  return {
    id: spec.id,
    enableIPv6: spec.enableIPv6,
    internal: spec.internal,
    labels: spec.labels,
    driverOptions: spec.driverOptions,
    ipam: { driver: spec.ipamDriver, options: spec.ipamOptions, config: [...spec.ipv4, ...spec.ipv6].map(config) },
  };
}

/** The generic options a driver's CreateNetwork receives (labels, then driver options, then flags). */
export function driverOptions(record: NetworkRecord): Array<[string, string]> {
  return toOptions({
    ...record.labels,
    ...record.driverOptions,
    [ENABLE_IPV6]: String(record.enableIPv6),
    [INTERNAL]: String(record.internal),
  });
}

export function ipamData(pools: PoolRecord[]): IpamData[] {
  return pools.map((pool) => ({
    addressSpace: pool.addressSpace,
    pool: pool.pool,
    ...(pool.gateway === undefined ? {} : { gateway: pool.gateway }),
    auxAddresses: Object.entries(pool.auxAddresses),
  }));
}

/** IPAM's exclude list: the host's routes and nameservers (libnetwork does the same). */
function exclude(ctx: Context): string[] {
  return [...ctx.plumbing.hostRoutes(), ...ctx.hostResolvConf().nameservers.map(hostCidr)];
}
