// The public option types and the records the store keeps.
import type { JoinEffects } from './driver-api.js';

export interface IpamConfig {
  subnet?: string;
  ipRange?: string;
  gateway?: string;
  /** name → IP */
  auxAddresses?: Record<string, string>;
}

export interface NetworkOptions {
  id?: string;
  enableIPv6?: boolean;
  internal?: boolean;
  labels?: Record<string, string>;
  driverOptions?: Record<string, string>;
  ipam?: { driver?: string; options?: Record<string, string>; config?: IpamConfig[] };
}

export interface EndpointOptions {
  ipv4Address?: string;
  ipv6Address?: string;
  macAddress?: string;
  /** Names the endpoint's container also has on this network (libnetwork's CreateOptionMyAlias, `--alias`). */
  aliases?: string[];
  /** Generic options handed to the driver's CreateEndpoint. */
  options?: Record<string, string>;
}

export interface SandboxOptions {
  hostname?: string;
  domainname?: string;
  /** Extra /etc/hosts lines. */
  extraHosts?: Array<{ name: string; ip: string }>;
  /** Replace the host's nameservers, search domains and options in resolv.conf. */
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** Keep IPv6 on in the namespace. */
  ipv6?: boolean;
  /**
   * Serve the embedded DNS (127.0.0.11) in the sandbox and point its resolv.conf to it. Default:
   * on for a namespace of wasmnet's own, off for an external one (its engine does its own DNS);
   * never in the host's namespace (Docker's host network keeps the host's resolv.conf).
   */
  embeddedDns?: boolean;
  /** Generic options handed to the drivers' Join. */
  options?: Record<string, string>;
  /** Share the host's namespace (libnetwork's default sandbox): only `host` network endpoints join it. */
  useDefaultSandbox?: boolean;
  /**
   * A namespace the container engine made (Docker's SetKey path, CNI's netns): the sandbox's key.
   * wasmnet never deletes it, and it need not exist before an interface is added to it.
   */
  externalKey?: string;
}

export interface JoinOptions {
  /** libnetwork's JoinOptionPriority: higher wins the gateway. */
  priority?: number;
  /** The interface's name in the sandbox instead of the lowest free eth<n> (CNI's CNI_IFNAME). */
  interfaceName?: string;
  /**
   * Docker's way: the driver's interface is created in the host namespace and left there for the
   * engine to move into its sandbox; the endpoint's info() names it (srcName, dstPrefix).
   */
  handOver?: boolean;
  /** Ports to publish on this endpoint (it must become the sandbox's gateway endpoint). */
  publish?: PortBinding[];
}

/** A published port: the host's port (on every address of the host unless `hostIp`) to the endpoint's. */
export interface PortBinding {
  protocol: 'tcp' | 'udp';
  hostIp?: string;
  hostPort: number;
  containerPort: number;
}

/** One IPAM pool of a network, with its gateway and aux addresses (CIDRs with the pool's mask). */
export interface PoolRecord {
  addressSpace: string;
  poolId: string;
  pool: string;
  subPool?: string;
  gateway?: string;
  auxAddresses: Record<string, string>;
  /** A global network adopted from another node: its aux addresses are that node's to hold. */
  auxHeldByCreator?: true;
}

export interface NetworkRecord {
  id: string;
  name: string;
  type: string;
  enableIPv6: boolean;
  internal: boolean;
  labels: Record<string, string>;
  driverOptions: Record<string, string>;
  ipamDriver: string;
  ipamOptions: Record<string, string>;
  ipv4: PoolRecord[];
  ipv6: PoolRecord[];
  /** Tables the driver subscribed to in CreateNetwork. */
  tables: string[];
  /** The network lives in the cluster (a global driver's, in cluster mode): every node has it. */
  global?: true;
  state: RecordState;
}

/**
 * "creating" until the driver and IPAM are done, "deleting" from the start of a delete (or a
 * leave): a crash in between is finished (undone or completed) on start.
 */
export type RecordState = 'creating' | 'ready' | 'deleting';

export interface JoinRecord {
  sandboxId: string;
  /** The interface's name in the sandbox (eth0, ...); empty when none or handed over. */
  dstName: string;
  /** A handed-over interface: its name in the host namespace and the prefix the engine names it with. */
  handedOver?: { srcName: string; dstPrefix: string };
  priority: number;
  /** The ports the join asked to publish (JoinOptions.publish). */
  publish?: PortBinding[];
  effects: JoinEffects;
  state: RecordState;
}

export interface EndpointRecord {
  id: string;
  name: string;
  networkId: string;
  mac?: string;
  /** CIDRs, and the pools they came from. */
  address?: string;
  addressIpv6?: string;
  poolV4?: string;
  poolV6?: string;
  options: Record<string, string>;
  aliases?: string[];
  join?: JoinRecord;
  state: RecordState;
}

export interface SandboxRecord {
  id: string;
  containerId: string;
  /** The namespace file's name in the sandbox directory ('' for an external key). */
  nsName: string;
  key: string;
  /** The namespace is the engine's (SandboxOptions.externalKey): never deleted here. */
  external?: boolean;
  config: SandboxOptions;
  /** Endpoint ids in join order (eth0 first). */
  endpoints: string[];
  /** The embedded DNS serves it (chosen at creation; a restart serves it again). */
  embeddedDns?: true;
  /** Written before a delete starts: a restart finishes the delete a crash cut short. */
  state?: 'deleting';
}

/** A link a driver created (ns: "host" or "sandbox:" + key): the ownership registry's rows. */
export interface LinkRecord {
  driver: string;
  ns: string;
  name: string;
  /** The controller operation that created it ("net:<id>", "join:<endpoint id>"). */
  operation?: string;
  /** The other end of a veth pair. */
  peer?: { ns: string; name: string };
  /** The index the link got at creation in its namespace: the link is this index, whatever bears its name now. */
  index?: number;
}
