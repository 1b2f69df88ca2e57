// libnetwork's discoverapi for nodes: every driver hears of this node (DiscoverNew with `self`)
// and of each other node of the cluster as it joins, and DiscoverDelete as it leaves. A driver
// that registers (or is re-created) later hears of every node known by then. A single host is a
// cluster of one: its drivers hear of themselves only.
import type { Discovery } from '../drivers/api.js';
import { DriverError } from '../drivers/errors.js';
import type { Driver, DriverLookup } from './driver-api.js';

/** A node as DiscoverNew names it: the address peers reach it at and the one it binds to. */
export interface ClusterNode {
  name: string;
  address: string;
  bindAddress: string;
}

export class NodeDiscovery {
  readonly #others = new Map<string, ClusterNode>();
  /** Announcements run one at a time, in the order they came: a driver never hears a leave before its join. */
  #queue: Promise<void> = Promise.resolve();

  constructor(
    readonly self: ClusterNode,
    private readonly drivers: DriverLookup,
    private readonly warn: (message: string) => void,
  ) {}

  /** The other nodes known now. */
  others(): ClusterNode[] {
    return [...this.#others.values()];
  }

  /** Every registered driver hears of this node and of the other nodes known now. */
  announceToAll(): Promise<void> {
    return this.#serial(async () => {
      for (const [name, driver] of this.#allDrivers()) await this.#announce(name, driver);
    });
  }

  /**
   * One driver (new, or re-created after a fault or an upgrade) hears of every node known now.
   * Not queued behind other announcements: a re-created instance is announced to before it
   * serves, while a queued announcement may be waiting for it.
   */
  announceTo(name: string, driver: Driver): Promise<void> {
    return this.#announce(name, driver);
  }

  async #announce(name: string, driver: Driver): Promise<void> {
    await this.#tell(name, driver, 'discoverNew', this.self, true);
    for (const node of this.#others.values()) await this.#tell(name, driver, 'discoverNew', node, false);
  }

  joined(node: ClusterNode): Promise<void> {
    return this.#serial(() => this.#joined(node));
  }

  left(node: ClusterNode): Promise<void> {
    return this.#serial(() => this.#left(node));
  }

  async #joined(node: ClusterNode): Promise<void> {
    if (node.name === this.self.name) return;
    const known = this.#others.get(node.name);
    if (known !== undefined && known.address === node.address && known.bindAddress === node.bindAddress) return;
    // A node back with another address is a departure and an arrival for the drivers.
    if (known !== undefined) await this.#left(known);
    this.#others.set(node.name, node);
    for (const [name, driver] of this.#allDrivers()) await this.#tell(name, driver, 'discoverNew', node, false);
  }

  async #left(node: ClusterNode): Promise<void> {
    const known = this.#others.get(node.name);
    if (known === undefined) return;
    this.#others.delete(node.name);
    for (const [name, driver] of this.#allDrivers()) await this.#tell(name, driver, 'discoverDelete', known, false);
  }

  #serial(task: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #allDrivers(): Array<[string, Driver]> {
    const all: Array<[string, Driver]> = [];
    this.drivers.walkDrivers?.((name, entry) => {
      all.push([name, entry.driver]);
      return undefined;
    });
    return all;
  }

  async #tell(
    name: string,
    driver: Driver,
    call: 'discoverNew' | 'discoverDelete',
    node: ClusterNode,
    self: boolean,
  ): Promise<void> {
    const discovery: Discovery = {
      tag: 'node',
      val: { address: node.address, bindAddress: node.bindAddress, self },
    };
    try {
      await driver[call](discovery);
    } catch (error) {
      // Most drivers span no hosts: the SDK's default answer is not-implemented.
      if (error instanceof DriverError && error.kind === 'not-implemented') return;
      this.warn(
        `driver ${name} ${call === 'discoverNew' ? 'DiscoverNew' : 'DiscoverDelete'} ${node.name} (${node.address}): ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
