// What the controller's parts share: the ports it was given, its objects, its locks.
import type { ClusterPort } from './cluster-api.js';
import { type ClusterNode, NodeDiscovery } from './discovery.js';
import type { EmbeddedDnsPort } from './dns-api.js';
import type { Driver, DriverLookup } from './driver-api.js';
import type { Endpoint } from './endpoint.js';
import { ControllerClosedError, NotFoundError } from './errors.js';
import type { Ipam, IpamLookup } from './ipam-api.js';
import { OperationLocks, type LockKeys } from './locks.js';
import type { Network } from './network.js';
import type { SandboxPlumbing } from './plumbing.js';
import type { Sandbox } from './sandbox.js';
import type { ResolvConf } from './sandbox-files.js';
import type { RecordStore } from './record-store.js';
import type { TableStore, TableSubscription } from './tables.js';

/** Link ownership as the driver runtime records it (persisted as it changes). */
export interface LinkBook {
  /** A sandbox's namespace was deleted: its links went with it. */
  forgetSandbox(sandboxKey: string): void;
  /**
   * Deletes the links in a sandbox that sit on a link outside it (a macvlan on its parent), before
   * its namespace is deleted: the kernel frees a deleted namespace's links later, and until then
   * they keep their MACs on the parent, where a new endpoint's link would be refused them.
   */
  unplugSandbox(sandboxKey: string): Promise<void>;
  /** Deletes the links `operation` created that still exist (its object is gone after a crash). */
  sweep(operation: string): Promise<string[]>;
  /** The index of a veth end a driver just created in the sandbox, unchanged since (claimed once). */
  claimCreatedIndex(sandboxKey: string, name: string): number | undefined;
}

/** Sandboxes by id, also indexed by container id (one sandbox per container). */
export class SandboxMap extends Map<string, Sandbox> {
  readonly #byContainer = new Map<string, Sandbox>();

  override set(id: string, sandbox: Sandbox): this {
    super.set(id, sandbox);
    this.#byContainer.set(sandbox.containerId(), sandbox);
    return this;
  }

  override delete(id: string): boolean {
    const sandbox = this.get(id);
    if (sandbox !== undefined && this.#byContainer.get(sandbox.containerId()) === sandbox)
      this.#byContainer.delete(sandbox.containerId());
    return super.delete(id);
  }

  byContainer(containerId: string): Sandbox | undefined {
    return this.#byContainer.get(containerId);
  }
}

/** The ports the model talks through, plugged in by host/wiring (or by a test). */
export interface ControllerPorts {
  /** This host's name in table events. */
  hostId: string;
  /** This node as its drivers' DiscoverNew names it (`self`). */
  node: ClusterNode;
  /** Holds the sandboxes' hosts and resolv.conf files. */
  dataDir: string;
  store: RecordStore;
  drivers: DriverLookup;
  ipams: IpamLookup;
  plumbing: SandboxPlumbing;
  tables: TableStore;
  hostResolvConf: () => ResolvConf;
  /** Where warnings go (rollback and cleanup failures that do not fail the call). */
  warn: (message: string) => void;
  /** Absent when the drivers keep no link ownership (drivers other than the Wasm runtime). */
  links?: LinkBook;
  /** Absent: no sandbox gets the embedded DNS. */
  dns?: EmbeddedDnsPort;
  /** Absent: a single host (its own cluster). */
  cluster?: ClusterPort;
}

export class Context {
  readonly hostId: string;
  readonly dataDir: string;
  readonly store: RecordStore;
  readonly drivers: DriverLookup;
  readonly ipams: IpamLookup;
  readonly plumbing: SandboxPlumbing;
  readonly tables: TableStore;
  readonly hostResolvConf: () => ResolvConf;
  readonly warn: (message: string) => void;
  readonly links: LinkBook | undefined;
  readonly dns: EmbeddedDnsPort | undefined;
  readonly discovery: NodeDiscovery;
  readonly cluster: ClusterPort | undefined;
  readonly networks = new Map<string, Network>();
  readonly sandboxes = new SandboxMap();
  /** Table subscriptions of each network's driver. */
  readonly subscriptions = new Map<string, TableSubscription[]>();
  readonly #locks = new OperationLocks();
  closed = false;

  constructor(ports: ControllerPorts) {
    this.hostId = ports.hostId;
    this.dataDir = ports.dataDir;
    this.store = ports.store;
    this.drivers = ports.drivers;
    this.ipams = ports.ipams;
    this.plumbing = ports.plumbing;
    this.tables = ports.tables;
    this.hostResolvConf = ports.hostResolvConf;
    this.warn = ports.warn;
    this.links = ports.links;
    this.dns = ports.dns;
    this.discovery = new NodeDiscovery(ports.node, ports.drivers, ports.warn);
    this.cluster = ports.cluster;
  }

  driver(type: string): Driver {
    const entry = this.drivers.driver(type);
    if (entry === undefined) throw new NotFoundError(`network driver "${type}" is not registered`, 'no-such-driver');
    return entry.driver;
  }

  ipam(name: string): Ipam {
    const ipam = this.ipams.ipam(name);
    if (ipam === undefined) throw new NotFoundError(`IPAM driver "${name}" is not registered`, 'no-such-ipam');
    return ipam;
  }

  /** A model change that locks the objects named by `keys` (see OperationLocks). */
  locked<T>(keys: LockKeys, task: () => Promise<T>): Promise<T> {
    return this.#locks.withKeys(keys, () => this.#open(task));
  }

  /** Restore and close: no model change runs meanwhile. */
  alone<T>(task: () => Promise<T>): Promise<T> {
    return this.#locks.alone(() => this.#open(task));
  }

  #open<T>(task: () => Promise<T>): Promise<T> {
    if (this.closed) throw new ControllerClosedError();
    return task();
  }

  endpoint(id: string): Endpoint | undefined {
    for (const network of this.networks.values()) {
      const found = network.endpointById(id);
      if (found !== undefined) return found;
    }
    return undefined;
  }
}

/** Undo steps of one operation, run in reverse when it fails (each failure only warned). */
export class Undo {
  readonly #steps: Array<{ label: string; step: () => Promise<unknown> | unknown }> = [];

  push(label: string, step: () => Promise<unknown> | unknown): void {
    this.#steps.push({ label, step });
  }

  async run(warn: (message: string) => void): Promise<void> {
    for (const { label, step } of this.#steps.reverse()) {
      try {
        await step();
      } catch (error) {
        warn(`rollback: ${label} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    this.#steps.length = 0;
  }
}

/** Runs an operation with an Undo that is run if it throws. */
export async function withUndo<T>(warn: (message: string) => void, operation: (undo: Undo) => Promise<T>): Promise<T> {
  const undo = new Undo();
  try {
    return await operation(undo);
  } catch (error) {
    await undo.run(warn);
    throw error;
  }
}

export function toOptions(record: Record<string, string>): Array<[string, string]> {
  return Object.entries(record);
}
