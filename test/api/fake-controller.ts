// TEST DOUBLE — an in-memory ControllerPort for the API, CLI, CNI and Docker plugin tests. It
// follows libnetwork's rules the routes depend on (unique names, active endpoints, one sandbox
// per endpoint) and raises the controller's real typed errors, but plumbs nothing.
// Never shipped: the daemon uses ControllerAdapter over the real Controller.
import {
  ActiveEndpointsError,
  EndpointExistsError,
  EndpointInUseError,
  ForbiddenError,
  InvalidParameterError,
  NetworkNameError,
  NoSuchEndpointError,
  NoSuchNetworkError,
  NoSuchSandboxError,
  NotFoundError,
  NotJoinedError,
} from '../../host/controller/errors.js';
import type { EndpointOptions } from '../../host/controller/model.js';
import type {
  ControllerPort,
  DriverView,
  EndpointView,
  JoinRequest,
  NetworkCreate,
  NetworkView,
  PoolView,
  SandboxCreate,
  SandboxView,
} from '../../host/api/port.js';

let counter = 0;
const newId = (): string => `${(++counter).toString(16).padStart(8, '0')}${'0'.repeat(56)}`.slice(0, 64);

export class InMemoryControllerPort implements ControllerPort {
  readonly networks = new Map<string, NetworkView>();
  readonly endpoints = new Map<string, EndpointView>();
  readonly sandboxes = new Map<string, SandboxView>();
  readonly drivers = new Map<string, DriverView>([
    [
      'bridge',
      {
        name: 'bridge',
        hash: 'h1',
        healthy: true,
        consecutiveFaults: 0,
        restarts: 0,
        droppedLogLines: 0,
        registrations: [{ kind: 'driver', name: 'bridge' }],
      },
    ],
  ]);
  /** Every mutating call, to prove that a refused request changed nothing. */
  readonly mutations: string[] = [];
  #subnet = 0;

  async listNetworks() {
    return [...this.networks.values()].map(clone);
  }
  async createNetwork(r: NetworkCreate) {
    this.mutations.push('createNetwork');
    if ([...this.networks.values()].some((n) => n.name === r.name)) throw new NetworkNameError(r.name);
    if (
      ![...this.drivers.values()].some((d) =>
        d.registrations.some((reg) => reg.kind === 'driver' && reg.name === r.driver),
      )
    ) {
      throw new InvalidParameterError(`no network driver ${r.driver}`);
    }
    const config = r.ipam?.config?.[0];
    const pool = config?.subnet ?? `10.99.${this.#subnet++}.0/24`;
    const gateway = config?.gateway ?? pool.replace(/\.0\/(\d+)$/, '.1');
    const view: NetworkView = {
      id: newId(),
      name: r.name,
      type: r.driver,
      enableIPv6: r.enableIPv6 ?? false,
      internal: r.internal ?? false,
      labels: r.labels ?? {},
      driverOptions: r.driverOptions ?? {},
      ipamDriver: r.ipam?.driver ?? 'default',
      ipv4: [
        {
          addressSpace: 'LocalDefault',
          poolId: `LocalDefault/${pool}`,
          pool,
          gateway: `${gateway}/${pool.split('/')[1]}`,
          auxAddresses: {},
        },
      ],
      ipv6: [],
      endpoints: [],
    };
    this.networks.set(view.id, view);
    return clone(view);
  }
  async inspectNetwork(ref: string) {
    return clone(this.#network(ref));
  }
  async deleteNetwork(ref: string) {
    this.mutations.push('deleteNetwork');
    const n = this.#network(ref);
    if (n.endpoints.length > 0) throw new ActiveEndpointsError(n.name, n.id, n.endpoints.length);
    this.networks.delete(n.id);
  }

  async listEndpoints(networkRef: string) {
    return this.#network(networkRef).endpoints.map((id) => clone(this.endpoints.get(id)!));
  }
  async createEndpoint(networkRef: string, name: string, options: EndpointOptions) {
    this.mutations.push('createEndpoint');
    const n = this.#network(networkRef);
    if (n.endpoints.some((id) => this.endpoints.get(id)!.name === name)) throw new EndpointExistsError(name, n.name);
    const pool = n.ipv4[0]!;
    const mask = pool.pool.split('/')[1];
    const base = pool.pool.split('/')[0]!.split('.').slice(0, 3).join('.');
    const used = new Set(n.endpoints.map((id) => this.endpoints.get(id)!.ipv4Address));
    let address = options.ipv4Address === undefined ? undefined : `${options.ipv4Address}/${mask}`;
    for (let host = 2; address === undefined; host += 1)
      if (!used.has(`${base}.${host}/${mask}`)) address = `${base}.${host}/${mask}`;
    const id = newId();
    const view: EndpointView = {
      id,
      name,
      networkId: n.id,
      macAddress: options.macAddress ?? `02:42:0a:63:00:${(n.endpoints.length + 2).toString(16).padStart(2, '0')}`,
      ipv4Address: address,
    };
    this.endpoints.set(id, view);
    n.endpoints.push(id);
    return clone(view);
  }
  async inspectEndpoint(networkRef: string, ref: string) {
    return clone(this.#endpoint(networkRef, ref));
  }
  async deleteEndpoint(networkRef: string, ref: string) {
    this.mutations.push('deleteEndpoint');
    const ep = this.#endpoint(networkRef, ref);
    if (ep.sandboxId !== undefined) throw new ForbiddenError(`endpoint ${ep.name} is joined`, 'active-container');
    const n = this.networks.get(ep.networkId)!;
    n.endpoints = n.endpoints.filter((id) => id !== ep.id);
    this.endpoints.delete(ep.id);
  }
  async join(networkRef: string, ref: string, sandboxRef: string, request: JoinRequest) {
    this.mutations.push('join');
    const ep = this.#endpoint(networkRef, ref);
    const sb = this.#sandbox(sandboxRef);
    if (ep.sandboxId !== undefined) throw new EndpointInUseError(ep.name, ep.sandboxId);
    ep.sandboxId = sb.id;
    ep.sandboxKey = sb.key;
    ep.interfaceName = request.interfaceName ?? `eth${sb.endpoints.length}`;
    ep.gateway = this.networks.get(ep.networkId)!.ipv4[0]!.gateway!;
    sb.endpoints.push(ep.id);
    return clone(ep);
  }
  async leave(networkRef: string, ref: string, sandboxRef: string) {
    this.mutations.push('leave');
    const ep = this.#endpoint(networkRef, ref);
    const sb = this.#sandbox(sandboxRef);
    if (ep.sandboxId !== sb.id) throw new NotJoinedError(ep.name, sb.id);
    delete ep.sandboxId;
    delete ep.sandboxKey;
    delete ep.interfaceName;
    delete ep.gateway;
    sb.endpoints = sb.endpoints.filter((id) => id !== ep.id);
    return clone(ep);
  }

  async listSandboxes() {
    return [...this.sandboxes.values()].map(clone);
  }
  async createSandbox(containerId: string, options: SandboxCreate) {
    this.mutations.push('createSandbox');
    if ([...this.sandboxes.values()].some((s) => s.containerId === containerId))
      throw new ForbiddenError(`sandbox for ${containerId} exists`, 'sandbox-exists');
    const id = newId();
    const view: SandboxView = {
      id,
      containerId,
      key: options.externalKey ?? `/run/wasmnet/netns/${id.slice(0, 12)}`,
      endpoints: [],
      ports: [],
    };
    this.sandboxes.set(id, view);
    return clone(view);
  }
  async inspectSandbox(ref: string) {
    return clone(this.#sandbox(ref));
  }
  async deleteSandbox(ref: string) {
    this.mutations.push('deleteSandbox');
    const sb = this.#sandbox(ref);
    for (const id of [...sb.endpoints]) await this.leave(this.endpoints.get(id)!.networkId, id, sb.id);
    this.sandboxes.delete(sb.id);
  }

  async listDrivers() {
    return [...this.drivers.values()].map(clone);
  }
  async inspectDriver(name: string) {
    const d = this.drivers.get(name);
    if (d === undefined) throw new NotFoundError(`no driver component ${name} is loaded`);
    return clone(d);
  }
  async loadDriver(path: string, name?: string) {
    this.mutations.push('loadDriver');
    const owner = name ?? path.replace(/^.*\//, '').replace(/\.wasm$/, '');
    if (this.drivers.has(owner)) throw new ForbiddenError(`${owner} is already loaded; upgrade it instead`);
    const view: DriverView = {
      name: owner,
      hash: 'h2',
      healthy: true,
      consecutiveFaults: 0,
      restarts: 0,
      droppedLogLines: 0,
      registrations: [{ kind: 'driver', name: owner }],
    };
    this.drivers.set(owner, view);
    return clone(view);
  }
  async upgradeDriver(name: string) {
    this.mutations.push('upgradeDriver');
    return this.inspectDriver(name);
  }
  async unloadDriver(name: string) {
    this.mutations.push('unloadDriver');
    await this.inspectDriver(name);
    this.drivers.delete(name);
  }

  async listPools(): Promise<PoolView[]> {
    return [...this.networks.values()].flatMap((n) =>
      n.ipv4.map((p) => ({
        networkId: n.id,
        networkName: n.name,
        addressSpace: p.addressSpace,
        poolId: p.poolId,
        pool: p.pool,
        ...(p.gateway ? { gateway: p.gateway } : {}),
        allocated: n.endpoints.length + 1,
        size: 2 ** (32 - Number(p.pool.split('/')[1])),
      })),
    );
  }

  #network(ref: string): NetworkView {
    const found =
      this.networks.get(ref) ?? [...this.networks.values()].find((n) => n.name === ref || n.id.startsWith(ref));
    if (found === undefined) throw new NoSuchNetworkError(ref);
    return found;
  }
  #endpoint(networkRef: string, ref: string): EndpointView {
    const n = this.#network(networkRef);
    const found = n.endpoints.map((id) => this.endpoints.get(id)!).find((e) => e.id === ref || e.name === ref);
    if (found === undefined) throw new NoSuchEndpointError(ref);
    return found;
  }
  #sandbox(ref: string): SandboxView {
    const found = this.sandboxes.get(ref) ?? [...this.sandboxes.values()].find((s) => s.containerId === ref);
    if (found === undefined) throw new NoSuchSandboxError(ref);
    return found;
  }
}

const clone = <T>(value: T): T => structuredClone(value);
