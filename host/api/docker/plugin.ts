// Docker's legacy network and IPAM plugin protocol over ControllerPort. dockerd is the
// controller here: it allocates through our IPAM endpoint, then asks the network endpoint to
// create the network, endpoints and joins, which become wasmnet networks, endpoints and
// sandboxes on dockerd's own namespace (an external key). Which wasmnet driver serves a Docker
// network: `docker network create -d <plugin> -o wasmnet.driver=<type>` (default below).
import type { Ipam } from '../../../ipam/index.js';
import type { ControllerPort } from '../port.js';
import type { Schema } from '../schema.js';
import * as msg from './messages.js';
import type { PluginState, StateFile } from './state.js';

export const DRIVER_OPTION = 'wasmnet.driver';
const GENERIC = 'com.docker.network.generic';
const ENABLE_IPV6 = 'com.docker.network.enable_ipv6';
const INTERNAL = 'com.docker.network.internal';
/** dockerd's Join options the driver publishes ports from (dockerd publishes none for a plugin). */
const PORT_OPTIONS = ['com.docker.network.portmap', 'com.docker.network.endpoint.exposedports'];

export interface DockerPluginOptions {
  port: ControllerPort;
  ipam: Ipam;
  state: StateFile;
  /** The wasmnet driver for networks that name none (-o wasmnet.driver=…). */
  defaultDriver?: string;
  /** CIDRs dynamic pools must avoid besides wasmnet's own networks (the host's routes). */
  exclude?: () => string[];
}

type Handler = (body: never) => Promise<object>;

interface Entry {
  schema?: Schema<unknown>;
  /** `Err` for the network driver, `Error` for IPAM (dockerd ignores the other one). */
  errorField: 'Err' | 'Error';
  handle: Handler;
}

export class DockerPlugin {
  readonly #routes = new Map<string, Entry>();
  readonly #port: ControllerPort;
  readonly #ipam: Ipam;
  readonly #file: StateFile;
  readonly #defaultDriver: string;
  readonly #exclude: () => string[];

  constructor(options: DockerPluginOptions) {
    this.#port = options.port;
    this.#ipam = options.ipam;
    this.#file = options.state;
    this.#defaultDriver = options.defaultDriver ?? 'bridge';
    this.#exclude = options.exclude ?? (() => []);
    const net = (name: string, schema: Schema<unknown> | undefined, handle: Handler) =>
      this.#routes.set(`/NetworkDriver.${name}`, { ...(schema ? { schema } : {}), errorField: 'Err', handle });
    const ipam = (name: string, schema: Schema<unknown> | undefined, handle: Handler) =>
      this.#routes.set(`/IpamDriver.${name}`, { ...(schema ? { schema } : {}), errorField: 'Error', handle });
    this.#routes.set('/Plugin.Activate', {
      errorField: 'Err',
      handle: async () => ({ Implements: ['NetworkDriver', 'IpamDriver'] }),
    });
    net('GetCapabilities', undefined, async () => ({ Scope: 'local', ConnectivityScope: 'local' }));
    net('CreateNetwork', msg.createNetwork, (b: msg.CreateNetwork) => this.#createNetwork(b));
    net('DeleteNetwork', msg.networkOnly, (b: { NetworkID: string }) => this.#deleteNetwork(b.NetworkID));
    net('AllocateNetwork', msg.allocateNetwork, async () => ({ Options: {} }));
    net('FreeNetwork', msg.networkOnly, async () => ({}));
    net('CreateEndpoint', msg.createEndpoint, (b: msg.CreateEndpoint) => this.#createEndpoint(b));
    net('EndpointOperInfo', msg.endpointRef, (b: { EndpointID: string }) => this.#operInfo(b.EndpointID));
    net('DeleteEndpoint', msg.endpointRef, (b: { EndpointID: string }) => this.#deleteEndpoint(b.EndpointID));
    net('Join', msg.join, (b: { EndpointID: string; SandboxKey: string; Options?: Record<string, unknown> }) =>
      this.#join(b.EndpointID, b.SandboxKey, b.Options ?? {}),
    );
    net('Leave', msg.endpointRef, (b: { EndpointID: string }) => this.#leave(b.EndpointID));
    net('DiscoverNew', msg.discovery, async () => ({}));
    net('DiscoverDelete', msg.discovery, async () => ({}));
    // The controller programs external connectivity for the gateway endpoint at join.
    net('ProgramExternalConnectivity', msg.externalConnectivity, async () => ({}));
    net('RevokeExternalConnectivity', msg.endpointRef, async () => ({}));
    ipam('GetCapabilities', undefined, async () => ({ RequiresMACAddress: false, RequiresRequestReplay: false }));
    ipam('GetDefaultAddressSpaces', undefined, async () => {
      const spaces = await this.#ipam.getDefaultAddressSpaces();
      return {
        LocalDefaultAddressSpace: spaces.localDefaultAddressSpace,
        GlobalDefaultAddressSpace: spaces.globalDefaultAddressSpace,
      };
    });
    ipam('RequestPool', msg.requestPool, (b: msg.RequestPool) => this.#requestPool(b));
    ipam('ReleasePool', msg.releasePool, (b: { PoolID: string }) => this.#releasePool(b.PoolID));
    ipam(
      'RequestAddress',
      msg.requestAddress,
      (b: { PoolID: string; Address?: string; Options?: Record<string, string> }) => this.#requestAddress(b),
    );
    ipam('ReleaseAddress', msg.releaseAddress, (b: { PoolID: string; Address: string }) =>
      this.#releaseAddress(b.PoolID, b.Address),
    );
  }

  /** Re-creates the IPAM allocations of the state file in the (fresh) allocator. */
  async restore(): Promise<void> {
    for (const pool of Object.values(this.#file.state.pools)) {
      const { poolId } = await this.#ipam.requestPool({
        addressSpace: pool.addressSpace,
        pool: pool.pool,
        ...(pool.subPool ? { subPool: pool.subPool } : {}),
        options: pool.options,
        v6: pool.v6,
      });
      for (const address of pool.addresses) await this.#ipam.requestAddress(poolId, address.split('/')[0], {});
    }
  }

  /** The answer to one POST: a known method gets its handler, errors go in `Err` or `Error`. */
  async handle(path: string, body: unknown): Promise<{ status: number; body: object }> {
    const entry = this.#routes.get(path);
    if (entry === undefined) return { status: 404, body: { Err: `unknown plugin method ${path}` } };
    try {
      const input = entry.schema === undefined ? undefined : entry.schema.parse(body ?? {});
      return { status: 200, body: await entry.handle(input as never) };
    } catch (error) {
      return { status: 200, body: { [entry.errorField]: error instanceof Error ? error.message : String(error) } };
    }
  }

  get #state() {
    return this.#file.state;
  }

  async #createNetwork(b: msg.CreateNetwork): Promise<object> {
    if (this.#state.networks[b.NetworkID] !== undefined) return {};
    const generic = stringMap(b.Options?.[GENERIC]);
    const { [DRIVER_OPTION]: driver, ...driverOptions } = generic;
    const config = [...(b.IPv4Data ?? []), ...(b.IPv6Data ?? [])].map((data) => ({
      subnet: data.Pool,
      ...(data.Gateway ? { gateway: stripMask(data.Gateway) } : {}),
      ...(data.AuxAddresses
        ? { auxAddresses: Object.fromEntries(Object.entries(data.AuxAddresses).map(([k, v]) => [k, stripMask(v)])) }
        : {}),
    }));
    // dockerd sends no name: the network keeps dockerd's id, so any unique prefix of the id
    // `docker network inspect -f {{.Id}} NAME` prints finds it.
    const view = await this.#port.createNetwork({
      id: b.NetworkID,
      name: `docker-${b.NetworkID.slice(0, 12)}`,
      driver: driver ?? this.#defaultDriver,
      enableIPv6: b.Options?.[ENABLE_IPV6] === true || b.Options?.[ENABLE_IPV6] === 'true',
      internal: b.Options?.[INTERNAL] === true || b.Options?.[INTERNAL] === 'true',
      labels: { 'com.docker.network.id': b.NetworkID },
      driverOptions,
      ipam: { config },
    });
    this.#state.networks[b.NetworkID] = view.id;
    this.#state.networkPools = { ...this.#state.networkPools, [b.NetworkID]: config.map((c) => c.subnet) };
    this.#file.save();
    return {};
  }

  /**
   * dockerd calls this only once it counts no endpoints, and forgets the network whatever the
   * answer (only a Forbidden error stops it, and a plugin's error is never one): endpoints still
   * here leaked (their containers went while the daemon was down), so they go with it.
   */
  async #deleteNetwork(nid: string): Promise<object> {
    const network = this.#state.networks[nid];
    if (network !== undefined) await ignoreNotFound(this.#port.deleteNetwork(network, { force: true }));
    delete this.#state.networks[nid];
    // dockerd releases the pools itself after this answer.
    delete this.#state.networkPools?.[nid];
    this.#file.save();
    await this.prune();
    return {};
  }

  /**
   * Forgets the endpoints and networks wasmnet no longer has (a leftover sweep or an operator
   * removed them): dockerd will not call for them again, so their IPAM addresses go back too.
   */
  async prune(): Promise<void> {
    const live = new Set((await this.#port.listNetworks()).flatMap((n) => [n.id, ...n.endpoints]));
    let changed = false;
    for (const [eid, ep] of Object.entries(this.#state.endpoints)) {
      if (live.has(ep.endpoint)) continue;
      delete this.#state.endpoints[eid];
      for (const address of ep.addresses ?? []) await this.#releaseKnownAddress(address);
      changed = true;
    }
    for (const [nid, network] of Object.entries(this.#state.networks)) {
      if (live.has(network)) continue;
      delete this.#state.networks[nid];
      // Removed through wasmnet (dockerd deleted it while the daemon was down, and its
      // ReleasePool failed too): its pools go back, or their subnets stay taken.
      const subnets = this.#state.networkPools?.[nid] ?? [];
      delete this.#state.networkPools?.[nid];
      for (const [poolId, pool] of Object.entries(this.#state.pools))
        if (subnets.includes(pool.pool)) await this.#releasePool(poolId);
      changed = true;
    }
    if (changed) this.#file.save();
  }

  /** Releases an address this IPAM gave, found by its pool. */
  async #releaseKnownAddress(address: string): Promise<void> {
    for (const [poolId, pool] of Object.entries(this.#state.pools))
      if (pool.addresses.some((a) => stripMask(a) === stripMask(address))) await this.#releaseAddress(poolId, address);
  }

  async #createEndpoint(b: msg.CreateEndpoint): Promise<object> {
    const network = this.#network(b.NetworkID);
    const i: NonNullable<msg.CreateEndpoint['Interface']> = b.Interface ?? {};
    const view = await this.#port.createEndpoint(network, `docker-${b.EndpointID.slice(0, 12)}`, {
      ...(i.Address ? { ipv4Address: stripMask(i.Address) } : {}),
      ...(i.AddressIPv6 ? { ipv6Address: stripMask(i.AddressIPv6) } : {}),
      ...(i.MacAddress ? { macAddress: i.MacAddress } : {}),
    });
    const addresses = [i.Address, i.AddressIPv6].filter((a): a is string => a !== undefined && a !== '');
    this.#state.endpoints[b.EndpointID] = { network, endpoint: view.id, addresses };
    this.#file.save();
    // dockerd refuses an answer that changes what it gave: only a MAC it did not give comes back.
    return i.MacAddress || view.macAddress === undefined ? {} : { Interface: { MacAddress: view.macAddress } };
  }

  async #operInfo(eid: string): Promise<object> {
    const ep = this.#endpoint(eid);
    const view = await this.#port.inspectEndpoint(ep.network, ep.endpoint);
    return { Value: { ...view } };
  }

  async #deleteEndpoint(eid: string): Promise<object> {
    const ep = this.#state.endpoints[eid];
    if (ep !== undefined) {
      // dockerd only logs errors here, so the cleanup of a forgotten Leave is done now.
      if (ep.sandbox !== undefined) await this.#leave(eid);
      await ignoreNotFound(this.#port.deleteEndpoint(ep.network, ep.endpoint));
      delete this.#state.endpoints[eid];
      this.#file.save();
    }
    return {};
  }

  async #join(eid: string, sandboxKey: string, options: Record<string, unknown>): Promise<object> {
    const ep = this.#endpoint(eid);
    // dockerd calls Join before its namespace exists (SetKey comes later), and moves the
    // interface in itself: the driver's veth end is handed over from the host namespace. Its
    // port map goes with the sandbox: the driver publishes it at ProgramExternalConnectivity.
    const portOptions = Object.fromEntries(
      PORT_OPTIONS.filter((key) => options[key] !== undefined && options[key] !== null).map((key) => [
        key,
        JSON.stringify(options[key]),
      ]),
    );
    const sandbox = await this.#port.createSandbox(`docker-${eid}`, {
      externalKey: sandboxKey,
      ...(Object.keys(portOptions).length === 0 ? {} : { options: portOptions }),
    });
    let view;
    try {
      view = await this.#port.join(ep.network, ep.endpoint, sandbox.id, { handOver: true });
    } catch (error) {
      await ignoreNotFound(this.#port.deleteSandbox(sandbox.id));
      throw error;
    }
    ep.sandbox = sandbox.id;
    this.#file.save();
    return {
      ...(view.handedOver
        ? { InterfaceName: { SrcName: view.handedOver.srcName, DstPrefix: view.handedOver.dstPrefix } }
        : {}),
      ...(view.gateway ? { Gateway: stripMask(view.gateway) } : {}),
      ...(view.gatewayIpv6 ? { GatewayIPv6: stripMask(view.gatewayIpv6) } : {}),
    };
  }

  async #leave(eid: string): Promise<object> {
    const ep = this.#endpoint(eid);
    if (ep.sandbox !== undefined) {
      await ignoreNotFound(this.#port.leave(ep.network, ep.endpoint, ep.sandbox));
      await ignoreNotFound(this.#port.deleteSandbox(ep.sandbox));
      delete ep.sandbox;
      this.#file.save();
    }
    return {};
  }

  async #requestPool(b: msg.RequestPool): Promise<object> {
    const options = b.Options ?? {};
    const v6 = b.V6 ?? false;
    // Dynamic pools stay clear of the host's routes and of the wasmnet networks the daemon made by itself.
    const exclude = [...this.#exclude(), ...(await this.#port.listPools()).map((p) => p.pool)];
    const res = await this.#ipam.requestPool({
      addressSpace: b.AddressSpace,
      ...(b.Pool ? { pool: b.Pool } : {}),
      ...(b.SubPool ? { subPool: b.SubPool } : {}),
      options,
      v6,
      exclude,
    });
    this.#state.pools[res.poolId] = {
      addressSpace: b.AddressSpace,
      pool: res.pool,
      ...(b.SubPool ? { subPool: b.SubPool } : {}),
      options,
      v6,
      addresses: [],
    };
    this.#file.save();
    return { PoolID: res.poolId, Pool: res.pool, Data: res.data };
  }

  async #releasePool(poolId: string): Promise<object> {
    // Released already: a prune gave back the pool of a network removed through wasmnet.
    if (this.#state.pools[poolId] === undefined) return {};
    await this.#ipam.releasePool(poolId);
    delete this.#state.pools[poolId];
    this.#file.save();
    return {};
  }

  async #requestAddress(b: { PoolID: string; Address?: string; Options?: Record<string, string> }): Promise<object> {
    const res = await this.#ipam.requestAddress(b.PoolID, b.Address || undefined, b.Options ?? {});
    this.#state.pools[b.PoolID]?.addresses.push(res.address);
    this.#file.save();
    return { Address: res.address, Data: res.data };
  }

  async #releaseAddress(poolId: string, address: string): Promise<object> {
    const pool = this.#state.pools[poolId];
    // Released already: a prune gave back a leaked endpoint's address (or its pool) before dockerd asked.
    if (pool === undefined || !pool.addresses.some((a) => stripMask(a) === stripMask(address))) return {};
    await this.#ipam.releaseAddress(poolId, address);
    if (pool !== undefined) pool.addresses = pool.addresses.filter((a) => stripMask(a) !== stripMask(address));
    this.#file.save();
    return {};
  }

  #network(nid: string): string {
    const network = this.#state.networks[nid];
    if (network === undefined) throw new Error(`network ${nid} is not a wasmnet network`);
    return network;
  }

  #endpoint(eid: string): PluginState['endpoints'][string] {
    const ep = this.#state.endpoints[eid];
    if (ep === undefined) throw new Error(`endpoint ${eid} is not a wasmnet endpoint`);
    return ep;
  }
}

const stripMask = (cidr: string): string => cidr.split('/')[0]!;

/** dockerd's generic options (`-o k=v`) as strings. */
function stringMap(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}

async function ignoreNotFound(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    const kind = (error as { kind?: unknown }).kind;
    if (kind !== 'not-found' && (error as { name?: unknown }).name !== 'NotFoundError') throw error;
  }
}
