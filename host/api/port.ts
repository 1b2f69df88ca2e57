// ControllerPort: the narrow, data-only view of the controller that the API routes, the Docker
// plugin and the metrics need. The real controller is adapted to it (controller-adapter.ts);
// views are plain JSON-ready records so the routes never hold live controller objects.
import type { EndpointInfo } from '../controller/endpoint.js';
import type {
  EndpointOptions,
  IpamConfig,
  JoinOptions,
  NetworkRecord,
  PortBinding,
  SandboxOptions,
} from '../controller/model.js';

/** A network as the controller records it (without internal bookkeeping), with its endpoint ids. */
export type NetworkView = Omit<NetworkRecord, 'ipamOptions' | 'tables' | 'state'> & { endpoints: string[] };

export interface NetworkCreate {
  /** The id to give it (the Docker plugin's: dockerd's network id); a new one by default. */
  id?: string;
  name: string;
  driver: string;
  enableIPv6?: boolean;
  internal?: boolean;
  labels?: Record<string, string>;
  driverOptions?: Record<string, string>;
  ipam?: { driver?: string; options?: Record<string, string>; config?: IpamConfig[] };
}

/** An endpoint's info, with the id of the sandbox it is joined to. */
export type EndpointView = Omit<EndpointInfo, 'staticRoutes'> & { sandboxId?: string };

export interface SandboxView {
  id: string;
  containerId: string;
  key: string;
  /** Endpoint ids in join order. */
  endpoints: string[];
  /** The ports its joins published. */
  ports: PortBinding[];
}

/** A sandbox's options; `externalKey` puts it on a namespace dockerd or a CNI runtime made. */
export type SandboxCreate = SandboxOptions;

/** priority, interfaceName (CNI_IFNAME), handOver (Docker: the engine moves the interface in). */
export type JoinRequest = JoinOptions;

export interface DriverView {
  /** The component's name (its file name without .wasm); "builtin" components included. */
  name: string;
  hash: string;
  healthy: boolean;
  consecutiveFaults: number;
  lastFault?: string;
  /** While it backs off after repeated faults: ms until a call may restart it. */
  retryAfterMs?: number;
  restarts: number;
  /** Log lines its limits dropped since the daemon started. */
  droppedLogLines: number;
  /** What the component registered. */
  registrations: Array<{ kind: 'driver' | 'ipam'; name: string }>;
}

export interface PoolView {
  networkId: string;
  networkName: string;
  addressSpace: string;
  poolId: string;
  pool: string;
  gateway?: string;
  /** Addresses in use (endpoints, gateway, aux) and the pool's size, for usage metrics. */
  allocated: number;
  size: number;
}

export interface RemoveOptions {
  force?: boolean;
}

export interface ControllerPort {
  listNetworks(): Promise<NetworkView[]>;
  createNetwork(request: NetworkCreate): Promise<NetworkView>;
  /** By id, id prefix or name. */
  inspectNetwork(ref: string): Promise<NetworkView>;
  /** `force`: leaves and deletes its endpoints first. */
  deleteNetwork(ref: string, options?: RemoveOptions): Promise<void>;

  listEndpoints(networkRef: string): Promise<EndpointView[]>;
  createEndpoint(networkRef: string, name: string, options: EndpointOptions): Promise<EndpointView>;
  inspectEndpoint(networkRef: string, endpointRef: string): Promise<EndpointView>;
  /** `force`: leaves its sandbox first (deleting an engine's sandbox it leaves empty). */
  deleteEndpoint(networkRef: string, endpointRef: string, options?: RemoveOptions): Promise<void>;
  join(networkRef: string, endpointRef: string, sandboxRef: string, request: JoinRequest): Promise<EndpointView>;
  leave(networkRef: string, endpointRef: string, sandboxRef: string): Promise<EndpointView>;

  listSandboxes(): Promise<SandboxView[]>;
  createSandbox(containerId: string, options: SandboxCreate): Promise<SandboxView>;
  /** By id or container id. */
  inspectSandbox(ref: string): Promise<SandboxView>;
  deleteSandbox(ref: string): Promise<void>;

  listDrivers(): Promise<DriverView[]>;
  inspectDriver(name: string): Promise<DriverView>;
  loadDriver(path: string, name?: string): Promise<DriverView>;
  upgradeDriver(name: string, path: string): Promise<DriverView>;
  unloadDriver(name: string): Promise<void>;

  listPools(): Promise<PoolView[]>;
}
