// libnetwork's NetworkController: creates networks and sandboxes, looks them up, and restores
// them all from its store when it starts again. It talks to the world only through its ports;
// host/wiring plugs in the real ones (the public `Controller`).
import { joinCluster } from './cluster-sync.js';
import { Context, type ControllerPorts } from './context.js';
import type { NodeDiscovery } from './discovery.js';
import { LeftoverSweeper } from './leftovers.js';
import { lockKey } from './locks.js';
import type { NetworkOptions, SandboxOptions } from './model.js';
import { Network } from './network.js';
import type { RecordStore } from './record-store.js';
import { emptyRecoveryReport, restore, type RecoveryReport } from './restore.js';
import { Sandbox } from './sandbox.js';

export class NetworkController {
  readonly #ctx: Context;
  #recovery = emptyRecoveryReport();
  #closing: Promise<void> | undefined;

  /** `stopDrivers` runs on close, after the model stops and before the plumbing and the store close. */
  protected constructor(
    ports: ControllerPorts,
    private readonly stopDrivers?: () => Promise<void>,
  ) {
    this.#ctx = new Context(ports);
  }

  /** Rebuilds the model from the store and sweeps what a crash left behind; once, before serving. */
  protected async restore(): Promise<void> {
    this.#recovery = await this.#ctx.alone(() => restore(this.#ctx));
    await this.#ctx.discovery.announceToAll();
    await joinCluster(this.#ctx);
  }

  /** Node discovery: this node, the others as they come and go, and drivers that register late. */
  get discovery(): NodeDiscovery {
    return this.#ctx.discovery;
  }

  /** What the start-up sweep removed. */
  get recovery(): RecoveryReport {
    return this.#recovery;
  }

  /**
   * Finds what engines removed while wasmnet could not hear it (leftovers.ts); its first sweep
   * also deletes the endpoints the start-up restore found orphaned.
   */
  leftoverSweeper(graceMs: number): LeftoverSweeper {
    return new LeftoverSweeper(this.#ctx, this.#recovery.orphans, graceMs);
  }

  get store(): RecordStore {
    return this.#ctx.store;
  }

  newNetwork(type: string, name: string, options: NetworkOptions = {}): Promise<Network> {
    return Network.create(this.#ctx, type, name, options);
  }

  newSandbox(containerId: string, options: SandboxOptions = {}): Promise<Sandbox> {
    return this.#ctx.locked([lockKey.container(containerId)], () => Sandbox.create(this.#ctx, containerId, options));
  }

  networks(): Network[] {
    return [...this.#ctx.networks.values()];
  }

  networkByName(name: string): Network | undefined {
    return this.networks().find((network) => network.name() === name);
  }

  networkById(id: string): Network | undefined {
    return this.#ctx.networks.get(id);
  }

  sandboxes(): Sandbox[] {
    return [...this.#ctx.sandboxes.values()];
  }

  sandboxById(id: string): Sandbox | undefined {
    return this.#ctx.sandboxes.get(id);
  }

  sandboxByContainerId(containerId: string): Sandbox | undefined {
    return this.#ctx.sandboxes.byContainer(containerId);
  }

  /** Stops serving: networks, endpoints and sandboxes stay (the next start restores them). */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    if (this.#ctx.closed) return;
    await this.#ctx.alone(async () => {
      for (const network of this.#ctx.networks.values()) network.unsubscribeTables();
      this.#ctx.closed = true;
    });
    this.#ctx.dns?.close();
    await this.stopDrivers?.();
    await this.#ctx.plumbing.close();
    await this.#ctx.store.close();
  }
}
