// What the controller needs from sandbox plumbing (libnetwork's osl). NetnsPlumbing
// (host/wiring/netns-plumbing.ts) implements it on host/sandbox; tests may substitute their own.
import type { ServerSockets } from '../dns/sockets.js';

/** Fds of the embedded DNS's bound UDP socket and bound TCP socket. */
export type DnsSockets = ServerSockets;

export interface InterfaceConfig {
  /** The link the driver created for the sandbox (join-info's src-name), already inside it. */
  srcName: string;
  /** Its index, when known (saves a lookup). */
  srcIndex?: number;
  /** Its final name in the sandbox, chosen by the controller (eth0, eth1, ...). */
  dstName: string;
  mac?: string;
  /** CIDRs. */
  addresses: string[];
  routes: Array<{ destination: string; gateway?: string }>;
}

export interface DefaultGateway {
  /** The interface the gateway is reached through. */
  dstName: string;
  v4?: string;
  v6?: string;
}

export interface SandboxNamespace {
  /** The namespace file: the key drivers and users see. */
  readonly key: string;
  addInterface(config: InterfaceConfig): Promise<void>;
  removeInterface(dstName: string): Promise<void>;
  /** True when the namespace has a link of that name (wasmnet's or not). */
  hasInterface(name: string): Promise<boolean>;
  /**
   * Replaces the default routes through `own` (the interfaces wasmnet put in) with the gateway's
   * (none: no default route). A default route wasmnet did not add is never deleted: then none of
   * that family is added, and a warning says so.
   */
  setDefaultGateway(gateway: DefaultGateway | undefined, own: string[]): Promise<string[]>;
  /**
   * The embedded DNS's sockets, made ready inside with the namespace (asked for with `dns` at
   * create), now the caller's; undefined when there are none (the DNS then binds its own).
   */
  takeDnsSockets?(): DnsSockets | undefined;
  destroy(): Promise<void>;
}

export interface SandboxPlumbing {
  /** The directory holding sandbox namespace files. */
  readonly dir: string;
  /** `dns`: the sandbox serves the embedded DNS (its sockets may come ready with the namespace). */
  create(name: string, options: { ipv6: boolean; dns?: boolean }): Promise<SandboxNamespace>;
  /**
   * A namespace someone else made (an external key): opened when first used, never deleted;
   * destroy() only lets go of it. `verify`: refuse now, when the path exists, what the first
   * use would refuse (not a network namespace file, the host's namespace, another sandbox's).
   */
  attach(path: string, options: { ipv6: boolean; verify?: boolean }): SandboxNamespace;
  /** The host namespace's path: where drivers create interfaces that are handed over. */
  hostKey(): string;
  /**
   * Whether a network namespace is mounted at `path`. An engine that removed its container
   * unmounts the namespace first and may remove the file later (dockerd: within a minute).
   */
  mounted(path: string): boolean;
  /** Re-attaches to a namespace a previous run created; undefined when it is gone. */
  open(name: string, options: { ipv6: boolean }): SandboxNamespace | undefined;
  /** Names of the namespace files in `dir` (for the recovery sweep). */
  list(): string[];
  /** Deletes a namespace nobody claims. */
  remove(name: string): Promise<void>;
  /** Destination CIDRs of the host's routes (IPAM must not hand them out). */
  hostRoutes(): string[];
  /** The host's own addresses (CIDRs): no network's subnet may hold one. */
  hostAddresses(): string[];
  close(): Promise<void>;
}
