// The controller (and the driver runtime beside it) seen through ControllerPort: references
// resolved (id, unique id prefix, name), live objects turned into views, libnetwork errors kept.
import { lstat } from 'node:fs/promises';
import type { DriverRuntime, DriverSlot } from '../drivers/index.js';
import {
  deleteWithEndpoints,
  leaveAndDelete,
  type NetworkController,
  type Endpoint,
  type Network,
  NoSuchEndpointError,
  NoSuchNetworkError,
  NoSuchSandboxError,
  NotFoundError,
  NotImplementedError,
  type Sandbox,
} from '../controller/index.js';
import type { EndpointOptions, PoolRecord } from '../controller/model.js';
import type {
  ControllerPort,
  DriverView,
  EndpointView,
  JoinRequest,
  NetworkCreate,
  NetworkView,
  PoolView,
  RemoveOptions,
  SandboxCreate,
  SandboxView,
} from './port.js';

export class ControllerAdapter implements ControllerPort {
  /** Faults seen per component: each one re-creates the instance (a restart). */
  readonly #restarts = new Map<string, number>();
  readonly #watched = new WeakSet<DriverSlot>();

  constructor(
    private readonly controller: NetworkController,
    private readonly runtime?: DriverRuntime,
  ) {}

  async listNetworks(): Promise<NetworkView[]> {
    return this.controller.networks().map(networkView);
  }
  async createNetwork(r: NetworkCreate): Promise<NetworkView> {
    const { name, driver, ...options } = r;
    return networkView(await this.controller.newNetwork(driver, name, options));
  }
  async inspectNetwork(ref: string): Promise<NetworkView> {
    return networkView(this.#network(ref));
  }
  async deleteNetwork(ref: string, options: RemoveOptions = {}): Promise<void> {
    const network = this.#network(ref);
    await (options.force === true ? deleteWithEndpoints(network) : network.delete());
  }

  async listEndpoints(networkRef: string): Promise<EndpointView[]> {
    return this.#network(networkRef).endpoints().map(endpointView);
  }
  async createEndpoint(networkRef: string, name: string, options: EndpointOptions): Promise<EndpointView> {
    return endpointView(await this.#network(networkRef).createEndpoint(name, options));
  }
  async inspectEndpoint(networkRef: string, endpointRef: string): Promise<EndpointView> {
    return endpointView(this.#endpoint(networkRef, endpointRef));
  }
  async deleteEndpoint(networkRef: string, endpointRef: string, options: RemoveOptions = {}): Promise<void> {
    const endpoint = this.#endpoint(networkRef, endpointRef);
    await (options.force === true ? leaveAndDelete(endpoint) : endpoint.delete());
  }
  async join(networkRef: string, endpointRef: string, sandboxRef: string, request: JoinRequest): Promise<EndpointView> {
    const endpoint = this.#endpoint(networkRef, endpointRef);
    const sandbox = this.#sandbox(sandboxRef);
    await endpoint.join(sandbox, request);
    return endpointView(endpoint);
  }
  async leave(networkRef: string, endpointRef: string, sandboxRef: string): Promise<EndpointView> {
    const endpoint = this.#endpoint(networkRef, endpointRef);
    await endpoint.leave(this.#sandbox(sandboxRef));
    return endpointView(endpoint);
  }

  async listSandboxes(): Promise<SandboxView[]> {
    return this.controller.sandboxes().map(sandboxView);
  }
  async createSandbox(containerId: string, options: SandboxCreate): Promise<SandboxView> {
    return sandboxView(await this.controller.newSandbox(containerId, options));
  }
  async inspectSandbox(ref: string): Promise<SandboxView> {
    return sandboxView(this.#sandbox(ref));
  }
  async deleteSandbox(ref: string): Promise<void> {
    await this.#sandbox(ref).delete();
  }

  async listDrivers(): Promise<DriverView[]> {
    const runtime = this.runtime;
    if (runtime === undefined) return [];
    return runtime.owners.map((owner) => this.#driverView(owner, runtime.slot(owner)!));
  }
  async inspectDriver(name: string): Promise<DriverView> {
    const slot = this.#runtime().slot(name);
    if (slot === undefined) throw new NotFoundError(`no driver component ${name} is loaded`);
    return this.#driverView(name, slot);
  }
  async loadDriver(path: string, name?: string): Promise<DriverView> {
    const runtime = this.#runtime();
    await requireFile(path);
    const slot = name === undefined ? await runtime.loadFile(path) : await runtime.loadFile(path, name);
    return this.#driverView(slot.owner, slot);
  }
  async upgradeDriver(name: string, path: string): Promise<DriverView> {
    await requireFile(path);
    const slot = await this.#runtime().upgradeFile(name, path);
    return this.#driverView(name, slot);
  }
  async unloadDriver(name: string): Promise<void> {
    await this.#runtime().unload(name);
  }

  async listPools(): Promise<PoolView[]> {
    const views: PoolView[] = [];
    for (const network of this.controller.networks()) {
      const info = network.info();
      const addresses = network.endpoints().flatMap((ep) => [ep.record.address, ep.record.addressIpv6]);
      for (const pool of [...info.ipv4, ...info.ipv6]) views.push(poolView(info.id, info.name, pool, addresses));
    }
    return views;
  }

  #runtime(): DriverRuntime {
    if (this.runtime === undefined) throw new NotImplementedError('this daemon runs without a driver runtime');
    return this.runtime;
  }

  #driverView(owner: string, slot: DriverSlot): DriverView {
    if (!this.#watched.has(slot)) {
      this.#watched.add(slot);
      slot.on('health', (health) => {
        if (health.consecutiveFaults > 0) this.#restarts.set(owner, (this.#restarts.get(owner) ?? 0) + 1);
      });
    }
    const health = slot.health;
    const view: DriverView = {
      name: owner,
      hash: slot.hash,
      healthy: health.healthy,
      consecutiveFaults: health.consecutiveFaults,
      restarts: this.#restarts.get(owner) ?? 0,
      droppedLogLines: this.#runtime().droppedLogLines(owner),
      registrations: slot.registrations.map((reg) => ({ kind: reg.kind, name: reg.name })),
    };
    if (health.lastFault !== undefined) view.lastFault = health.lastFault;
    if (health.retryAfterMs !== undefined) view.retryAfterMs = Math.ceil(health.retryAfterMs);
    return view;
  }

  #network(ref: string): Network {
    const c = this.controller;
    return lookup(ref, c.networkById(ref) ?? c.networkByName(ref), c.networks(), () => new NoSuchNetworkError(ref));
  }

  #endpoint(networkRef: string, ref: string): Endpoint {
    const network = this.#network(networkRef);
    return lookup(
      ref,
      network.endpointById(ref) ?? network.endpointByName(ref),
      network.endpoints(),
      () => new NoSuchEndpointError(ref),
    );
  }

  #sandbox(ref: string): Sandbox {
    const c = this.controller;
    return lookup(
      ref,
      c.sandboxById(ref) ?? c.sandboxByContainerId(ref),
      c.sandboxes(),
      () => new NoSuchSandboxError(ref),
    );
  }
}

/** An exact match, else the only object whose id starts with `ref` (docker's short ids). */
function lookup<T extends { id(): string }>(ref: string, exact: T | undefined, all: T[], notFound: () => Error): T {
  if (exact !== undefined) return exact;
  const matches = all.filter((item) => item.id().startsWith(ref));
  if (matches.length !== 1) throw notFound();
  return matches[0]!;
}

function networkView(network: Network): NetworkView {
  const info = network.info();
  return { ...info, ipamDriver: network.record.ipamDriver, endpoints: network.endpoints().map((ep) => ep.id()) };
}

function endpointView(endpoint: Endpoint): EndpointView {
  const { staticRoutes: _routes, ...info } = endpoint.info();
  const sandbox = endpoint.sandbox();
  return sandbox === undefined ? info : { ...info, sandboxId: sandbox.id() };
}

function sandboxView(sandbox: Sandbox): SandboxView {
  return {
    id: sandbox.id(),
    containerId: sandbox.containerId(),
    key: sandbox.key(),
    endpoints: sandbox.endpoints().map((ep) => ep.id()),
    ports: sandbox.publishedPorts(),
  };
}

/** Usage of one pool: endpoint addresses inside it, plus the gateway and aux addresses. */
export function poolView(
  networkId: string,
  networkName: string,
  pool: PoolRecord,
  addresses: Array<string | undefined>,
): PoolView {
  const prefix = Number(pool.pool.split('/')[1] ?? 0);
  const bits = (pool.pool.includes(':') ? 128 : 32) - prefix;
  const inside = addresses.filter((a) => a !== undefined && sameSubnet(a, pool.pool)).length;
  const view: PoolView = {
    networkId,
    networkName,
    addressSpace: pool.addressSpace,
    poolId: pool.poolId,
    pool: pool.pool,
    allocated: inside + (pool.gateway === undefined ? 0 : 1) + Object.keys(pool.auxAddresses).length,
    size: bits >= 53 ? Number.MAX_SAFE_INTEGER : 2 ** bits,
  };
  if (pool.gateway !== undefined) view.gateway = pool.gateway;
  return view;
}

// Endpoint addresses carry the pool's mask, so "same subnet" is "same family and same mask".
function sameSubnet(address: string, pool: string): boolean {
  return address.includes(':') === pool.includes(':') && address.split('/')[1] === pool.split('/')[1];
}

/** A component file that is not there is a typed not-found, not an internal error. */
/** A client's path that does not exist is the client's mistake (404), not the server's. */
async function requireFile(path: string): Promise<void> {
  try {
    await lstat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new NotFoundError(`no file ${path}`, 'no-such-file');
    throw error;
  }
}
