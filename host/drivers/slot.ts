// A loaded component as the host keeps it across faults and upgrades: one queue (calls to a
// component are serialized; components run in parallel), the current instance, the names it
// registered, and the fault policy (re-create, restore, back off, report unhealthy).
import { EventEmitter } from 'node:events';
import type { Capability, Driver, Ipam, IpamCapability, Options } from './api.js';
import type { CompiledComponent } from './compiler.js';
import { type DriverError, DriverUnhealthy, Forbidden, NoService } from './errors.js';
import { ComponentInstance, InstanceFault } from './instance.js';
import {
  guardedNetlink,
  operationOfCall,
  type LinkOwnership,
  type NetlinkCall,
  type PlumbingBackend,
} from './plumbing.js';
import type { Registration } from './protocol.js';
import { driverProxy, ipamProxy, type Invoke } from './proxies.js';
import type { DriverRegistry } from './registry.js';
import type { StoreBackend } from './store.js';
import type { StoreQuota } from './store-quota.js';
import type { LogLimits } from './log-limit.js';

/** Called after an instance was re-created (fault) or replaced (upgrade), before it serves calls:
 * the controller replays the networks and endpoints it knows this component has. */
export type ReplayHook = (event: ReplayEvent) => Promise<void>;

export interface ReplayEvent {
  owner: string;
  reason: 'restart' | 'upgrade';
  /** Drivers and IPAM drivers of the new instance, called directly (not queued), with what they registered with. */
  drivers: Map<string, { driver: Driver; capability: Capability }>;
  ipams: Map<string, { ipam: Ipam; capability: IpamCapability }>;
}

export interface FaultPolicy {
  deadlineMs: number;
  initDeadlineMs: number;
  /** Delay before the second consecutive restart; doubles after each further fault. */
  backoffMs: number;
  backoffMaxMs: number;
  /** Consecutive faults after which the component is reported unhealthy. */
  unhealthyAfter: number;
}

export interface SlotServices {
  registry: DriverRegistry;
  store: StoreBackend;
  plumbing: PlumbingBackend;
  ownership: LinkOwnership;
  policy: FaultPolicy;
  /** This owner's store quota (`store` enforces it too) and log limits. */
  storeQuota: StoreQuota;
  logLimits: LogLimits;
  maxResultBytes: number;
  /** The hook in force now (it may be set after components were loaded). */
  replay(): ReplayHook | undefined;
  log: (owner: string, level: string, message: string) => void;
  logDropped: (owner: string, count: number) => void;
}

export interface SlotHealth {
  healthy: boolean;
  consecutiveFaults: number;
  lastFault?: string;
  /** While backing off: how long until the next restart may happen. */
  retryAfterMs?: number;
}

interface Running {
  instance: ComponentInstance;
  handles: Map<string, Registration>;
  /** The controller operation of the call the instance is serving (its links are tagged with it). */
  serving: { operation?: string };
}

const regKey = (kind: Registration['kind'], name: string): string => `${kind}:${name}`;

export class DriverSlot extends EventEmitter<{ health: [SlotHealth] }> {
  #running: Running | undefined;
  #compiled: CompiledComponent;
  #queue: Promise<unknown> = Promise.resolve();
  #faults = 0;
  #lastFault: string | undefined;
  /** No restart before this time (Date.now()); calls meanwhile fail with DriverUnhealthy. */
  #retryAt = 0;
  #storeVersion = 0;
  #closed = false;
  readonly #networkParents = new Map<string, string[]>();
  readonly #endpointSandboxes = new Map<string, string>();

  private constructor(
    readonly owner: string,
    compiled: CompiledComponent,
    private readonly services: SlotServices,
  ) {
    super();
    this.#compiled = compiled;
  }

  /** Instantiates the component, runs init and registers what it registered. */
  static async load(owner: string, compiled: CompiledComponent, services: SlotServices): Promise<DriverSlot> {
    const slot = new DriverSlot(owner, compiled, services);
    const running = await slot.#start(compiled);
    const done: Registration[] = [];
    try {
      for (const reg of running.handles.values()) {
        if (reg.kind === 'driver')
          services.registry.registerDriver(reg.name, slot.#driverFor(reg.name), reg.capability as Capability, owner);
        else
          services.registry.registerIpamDriver(
            reg.name,
            slot.#ipamFor(reg.name),
            reg.capability as IpamCapability,
            owner,
          );
        done.push(reg);
      }
    } catch (error) {
      for (const reg of done) services.registry.unregister(reg.kind, reg.name, owner);
      await running.instance.terminate();
      throw error;
    }
    slot.#running = running;
    return slot;
  }

  get hash(): string {
    return this.#compiled.hash;
  }

  get registrations(): Registration[] {
    return [...(this.#running?.handles.values() ?? [])];
  }

  get health(): SlotHealth {
    const health: SlotHealth = {
      healthy: this.#faults < this.services.policy.unhealthyAfter,
      consecutiveFaults: this.#faults,
    };
    if (this.#lastFault !== undefined) health.lastFault = this.#lastFault;
    const wait = this.#retryAt - Date.now();
    if (this.#running === undefined && wait > 0) health.retryAfterMs = wait;
    return health;
  }

  /** The worker thread of the current instance (for diagnostics and tests). */
  get threadId(): number | undefined {
    return this.#running?.instance.threadId;
  }

  /** Replaces the instance with one of `compiled` between two calls; no call fails. */
  async upgrade(compiled: CompiledComponent): Promise<void> {
    if (this.#closed) throw new NoService(`${this.owner} was unloaded`);
    const version = this.#storeVersion;
    const next = await this.#start(compiled);
    const names = (running: Running | undefined) => new Set(running?.handles.keys());
    try {
      await this.#replay(next, 'upgrade');
    } catch (error) {
      await next.instance.terminate();
      throw error;
    }
    await this.#enqueue(async () => {
      const old = this.#running;
      const before = names(old);
      if (this.#storeVersion !== version) next.instance.syncStore(this.services.store.entries(this.owner));
      this.#running = next;
      this.#compiled = compiled;
      for (const [key, reg] of next.handles) {
        if (!before.has(key)) this.#registerNew(reg);
        else this.services.registry.changed(reg.kind, reg.name, reg.capability as Capability);
      }
      for (const key of before) {
        const reg = old!.handles.get(key)!;
        if (!next.handles.has(key)) this.services.registry.unregister(reg.kind, reg.name, this.owner);
      }
      this.#faults = 0;
      this.#retryAt = 0;
      void old?.instance.terminate();
    });
  }

  /** Unregisters everything at once (no new call can reach it), serves the calls already
   * queued, then stops the instance. */
  async unload(): Promise<void> {
    this.#closed = true;
    for (const reg of this.registrations) {
      if (this.services.registry[reg.kind === 'driver' ? 'driver' : 'ipam'](reg.name)?.owner === this.owner) {
        this.services.registry.unregister(reg.kind, reg.name, this.owner);
      }
    }
    await this.#enqueue(async () => {
      const running = this.#running;
      this.#running = undefined;
      await running?.instance.terminate();
    });
  }

  #registerNew(reg: Registration): void {
    if (reg.kind === 'driver')
      this.services.registry.registerDriver(
        reg.name,
        this.#driverFor(reg.name),
        reg.capability as Capability,
        this.owner,
      );
    else
      this.services.registry.registerIpamDriver(
        reg.name,
        this.#ipamFor(reg.name),
        reg.capability as IpamCapability,
        this.owner,
      );
  }

  #driverFor(name: string): Driver {
    return driverProxy(name, (method, args) => this.#enqueue(() => this.#call('driver', name, method, args)));
  }

  #ipamFor(name: string): Ipam {
    return ipamProxy((method, args) => this.#enqueue(() => this.#call('ipam', name, method, args)));
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #call(kind: Registration['kind'], name: string, method: string, args: unknown[]): Promise<unknown> {
    if (this.#closed) throw new NoService(`${this.owner} was unloaded`);
    if (this.#running === undefined || this.#running.instance.dead !== undefined) await this.#restart();
    const running = this.#running!;
    try {
      const value = await this.#invoke(running, kind, name, method, args);
      this.#faults = 0;
      return value;
    } catch (error) {
      if (error instanceof InstanceFault) await this.#fault(error);
      throw error;
    }
  }

  /** One call on one instance, with the netlink rights the call grants or ends. */
  async #invoke(
    running: Running,
    kind: Registration['kind'],
    name: string,
    method: string,
    args: unknown[],
  ): Promise<unknown> {
    const reg = running.handles.get(regKey(kind, name));
    if (reg === undefined) throw new NoService(`${this.owner} no longer provides ${kind} ${name}`);
    const [networkId, endpointId] = args as [string, string];
    const endpoint = `${networkId}/${endpointId}`;
    const rights = this.services.ownership.registry;
    // A replayed join of an endpoint already joined there must not end the right if it fails.
    const joinedBefore = this.#endpointSandboxes.get(endpoint) === args[2];
    if (method === 'createNetwork') {
      const parents = (args[1] as Options)
        .filter(([key]) => key === 'parent' || key.endsWith('.parent'))
        .map(([, value]) => value);
      this.#networkParents.set(networkId, parents);
      for (const parent of parents) rights.grantParent(this.owner, parent);
    } else if (method === 'join') {
      this.#endpointSandboxes.set(endpoint, args[2] as string);
      rights.join(this.owner, args[2] as string);
    }
    let ok = false;
    running.serving.operation = operationOfCall(method, args);
    try {
      const value = await running.instance.invoke(method, [reg.handle, ...args]);
      ok = true;
      return value;
    } finally {
      delete running.serving.operation;
      const sandbox = this.#endpointSandboxes.get(endpoint);
      if (sandbox !== undefined && ((method === 'join' && !ok && !joinedBefore) || method === 'leave')) {
        rights.leave(this.owner, sandbox);
        this.#endpointSandboxes.delete(endpoint);
      }
      if (method === 'deleteNetwork' && ok) {
        for (const parent of this.#networkParents.get(networkId) ?? []) rights.revokeParent(this.owner, parent);
        this.#networkParents.delete(networkId);
      }
    }
  }

  /** The instance died: the first fault restarts it at once, further consecutive ones only
   * after a backoff, and only when a call comes (so never in a loop of its own). */
  async #fault(error: DriverError): Promise<void> {
    this.#noteFault(error.message);
    await this.#restart().catch(() => undefined);
  }

  #noteFault(message: string): void {
    this.#faults++;
    this.#lastFault = message;
    this.#running = undefined;
    const { backoffMs, backoffMaxMs } = this.services.policy;
    this.#retryAt = this.#faults > 1 ? Date.now() + Math.min(backoffMs * 2 ** (this.#faults - 2), backoffMaxMs) : 0;
    this.services.log(this.owner, 'error', message);
    this.emit('health', this.health);
  }

  /** Re-creates the instance, restores its state and replays; refuses with DriverUnhealthy
   * while backing off, or when the restart itself fails. */
  async #restart(): Promise<void> {
    const wait = this.#retryAt - Date.now();
    if (wait > 0) throw new DriverUnhealthy(this.owner, this.#faults, wait, this.#lastFault);
    this.#running = undefined;
    let running: Running | undefined;
    try {
      running = await this.#start(this.#compiled);
      await this.#replay(running, 'restart');
      this.#running = running;
    } catch (error) {
      await running?.instance.terminate();
      this.#noteFault(`restart failed: ${error instanceof Error ? error.message : String(error)}`);
      throw new DriverUnhealthy(this.owner, this.#faults, Math.max(0, this.#retryAt - Date.now()), this.#lastFault);
    }
  }

  async #replay(running: Running, reason: ReplayEvent['reason']): Promise<void> {
    const hook = this.services.replay();
    if (hook === undefined) return;
    const direct =
      (kind: Registration['kind'], name: string): Invoke =>
      (method, args) =>
        this.#invoke(running, kind, name, method, args);
    const drivers: ReplayEvent['drivers'] = new Map();
    const ipams: ReplayEvent['ipams'] = new Map();
    for (const reg of running.handles.values()) {
      if (reg.kind === 'driver')
        drivers.set(reg.name, {
          driver: driverProxy(reg.name, direct('driver', reg.name)),
          capability: reg.capability as Capability,
        });
      else
        ipams.set(reg.name, {
          ipam: ipamProxy(direct('ipam', reg.name)),
          capability: reg.capability as IpamCapability,
        });
    }
    await hook({ owner: this.owner, reason, drivers, ipams });
  }

  async #start(compiled: CompiledComponent): Promise<Running> {
    const seen = new Set<string>();
    const serving: Running['serving'] = {};
    const { instance, registrations } = await ComponentInstance.start({
      label: this.owner,
      compiled,
      store: this.services.store.entries(this.owner),
      storeQuota: this.services.storeQuota,
      logLimits: this.services.logLimits,
      logDropped: (count) => this.services.logDropped(this.owner, count),
      deadlineMs: this.services.policy.deadlineMs,
      initDeadlineMs: this.services.policy.initDeadlineMs,
      maxResultBytes: this.services.maxResultBytes,
      log: (level, message) => this.services.log(this.owner, level, message),
      host: (op, args) => this.#host(op, args, seen, serving.operation),
      storeWrites: (writes) => {
        this.services.store.apply(this.owner, writes);
        this.#storeVersion++;
      },
    });
    return { instance, handles: new Map(registrations.map((reg) => [regKey(reg.kind, reg.name), reg])), serving };
  }

  /** The guest's host imports that need the main thread. */
  #host(op: string, args: unknown[], seen: Set<string>, operation: string | undefined): unknown {
    switch (op) {
      case 'register': {
        const [kind, name] = args as [Registration['kind'], string];
        this.services.registry.check(kind, name, this.owner);
        if (seen.has(regKey(kind, name)))
          throw new Forbidden(`${kind} "${name}" is already registered by this component`);
        seen.add(regKey(kind, name));
        return undefined;
      }
      case 'netlink':
        // The worker forwards exactly the functions of HOST_IMPORT_FUNCTIONS.netlink, with their WIT arguments.
        return guardedNetlink(
          this.services.ownership,
          this.services.plumbing,
          this.owner,
          { op: args[0], args: args.slice(1) } as NetlinkCall,
          operation,
        );
      default:
        throw new Forbidden(`unknown host import ${op}`);
    }
  }
}
