// A loaded component as the host keeps it across faults and upgrades: its current instance and
// the names it registered; it re-creates a dead instance (as its FaultPolicy allows) and swaps
// in an upgrade between two calls. Calls go through one CallQueue.
import { EventEmitter } from 'node:events';
import type { Capability, Driver, Ipam, IpamCapability } from './api.js';
import { CallQueue } from './call-queue.js';
import { CallRights } from './call-rights.js';
import type { CompiledComponent } from './compiler.js';
import { type DriverError, Forbidden, NoService } from './errors.js';
import { FaultPolicy, type FaultPolicyOptions, type SlotHealth } from './fault-policy.js';
import { hostImports, registrationKey } from './host-imports.js';
import { ComponentInstance, InstanceFault } from './instance.js';
import type { FirewallBackend } from './firewall.js';
import { type LinkOwnership, linkOperation, operationOfCall, type PlumbingBackend } from './plumbing.js';
import type { Registration } from './protocol.js';
import { driverProxy, ipamProxy } from './proxies.js';
import type { DriverRegistry } from './registry.js';
import { type ReplayEvent, type ReplayHook, replayEvent } from './replay.js';
import type { StoreBackend } from './store.js';
import type { StoreQuota } from './store-quota.js';
import type { LogLimits } from './log-limit.js';

export interface InstanceLimits {
  deadlineMs: number;
  initDeadlineMs: number;
  maxResultBytes: number;
}

export interface SlotServices {
  registry: DriverRegistry;
  store: StoreBackend;
  plumbing: PlumbingBackend;
  ownership: LinkOwnership;
  firewall: FirewallBackend | undefined;
  limits: InstanceLimits;
  faultPolicy: FaultPolicyOptions;
  /** This owner's store quota (`store` enforces it too) and log limits. */
  storeQuota: StoreQuota;
  logLimits: LogLimits;
  /** How many links this owner may own at once. */
  maxLinks: number;
  /** The hook in force now (it may be set after components were loaded). */
  replay(): ReplayHook | undefined;
  log: (owner: string, level: string, message: string) => void;
  logDropped: (owner: string, count: number) => void;
}

interface Running {
  instance: ComponentInstance;
  handles: Map<string, Registration>;
  /** The controller operation of the call the instance is serving (its links are tagged with it). */
  serving: { operation?: string };
}

/** One call of the controller to one of the component's drivers. */
interface GuestCall {
  kind: Registration['kind'];
  name: string;
  method: string;
  args: unknown[];
}

export class DriverSlot extends EventEmitter<{ health: [SlotHealth] }> {
  #running: Running | undefined;
  #compiled: CompiledComponent;
  readonly #queue = new CallQueue();
  readonly #faults: FaultPolicy;
  readonly #rights: CallRights;
  #storeVersion = 0;
  #closed = false;
  /** What the component registered at load (kind:name): an upgrade keeps exactly these. */
  #names: ReadonlySet<string> = new Set();

  private constructor(
    readonly owner: string,
    compiled: CompiledComponent,
    private readonly services: SlotServices,
  ) {
    super();
    this.#compiled = compiled;
    this.#faults = new FaultPolicy(services.faultPolicy);
    this.#rights = new CallRights(owner, services.ownership.registry);
  }

  /** Instantiates the component, runs init and registers what it registered. */
  static async load(owner: string, compiled: CompiledComponent, services: SlotServices): Promise<DriverSlot> {
    const slot = new DriverSlot(owner, compiled, services);
    const running = await slot.#start(compiled);
    const done: Registration[] = [];
    try {
      for (const reg of running.handles.values()) {
        slot.#register(reg);
        done.push(reg);
      }
    } catch (error) {
      for (const reg of done) services.registry.unregister(reg.kind, reg.name, owner);
      await running.instance.terminate();
      throw error;
    }
    slot.#running = running;
    slot.#names = new Set(running.handles.keys());
    return slot;
  }

  get hash(): string {
    return this.#compiled.hash;
  }

  get registrations(): Registration[] {
    return [...(this.#running?.handles.values() ?? [])];
  }

  get health(): SlotHealth {
    return this.#faults.health(this.#running !== undefined);
  }

  /** The worker thread of the current instance (for diagnostics and tests). */
  get threadId(): number | undefined {
    return this.#running?.instance.threadId;
  }

  /**
   * Replaces the instance with one of `compiled` between two calls; no call fails. Refused, with
   * the old version serving on, when the new one registers other names (the networks of a
   * dropped name would lose their driver; a new name is loaded, not upgraded into) or its replay fails.
   */
  async upgrade(compiled: CompiledComponent): Promise<void> {
    if (this.#closed) throw new NoService(`${this.owner} was unloaded`);
    const version = this.#storeVersion;
    const next = await this.#start(compiled);
    try {
      const before = [...this.#names].sort().join(', ');
      const after = [...next.handles.keys()].sort().join(', ');
      if (before !== after)
        throw new Forbidden(`upgrade of ${this.owner} refused: it registers ${after} instead of ${before}`);
      await this.#replay(next, 'upgrade');
      if (next.instance.dead !== undefined)
        throw new Forbidden(`upgrade of ${this.owner} refused: its replay failed (${next.instance.dead})`);
    } catch (error) {
      await next.instance.terminate();
      throw error;
    }
    await this.#queue.run(async () => {
      const old = this.#running;
      // A call served meanwhile wrote the store the new instance was started with.
      if (this.#storeVersion !== version) next.instance.syncStore(this.services.store.entries(this.owner));
      this.#running = next;
      this.#compiled = compiled;
      for (const reg of next.handles.values())
        this.services.registry.changed(reg.kind, reg.name, reg.capability as Capability);
      this.#faults.reset();
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
    await this.#queue.run(async () => {
      const running = this.#running;
      this.#running = undefined;
      await running?.instance.terminate();
    });
  }

  #register(reg: Registration): void {
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
    return driverProxy(name, (method, args) =>
      this.#queue.run(() => this.#call({ kind: 'driver', name, method, args })),
    );
  }

  #ipamFor(name: string): Ipam {
    return ipamProxy((method, args) => this.#queue.run(() => this.#call({ kind: 'ipam', name, method, args })));
  }

  async #call(call: GuestCall): Promise<unknown> {
    if (this.#closed) throw new NoService(`${this.owner} was unloaded`);
    if (this.#running === undefined || this.#running.instance.dead !== undefined) await this.#restart();
    const running = this.#running!;
    try {
      const value = await this.#invoke(running, call);
      this.#faults.succeeded();
      return value;
    } catch (error) {
      if (error instanceof InstanceFault) await this.#fault(error);
      throw error;
    }
  }

  /** One call on one instance, with the netlink rights the call grants or ends. */
  async #invoke(running: Running, { kind, name, method, args }: GuestCall): Promise<unknown> {
    const reg = running.handles.get(registrationKey(kind, name));
    if (reg === undefined) throw new NoService(`${this.owner} no longer provides ${kind} ${name}`);
    const settle = this.#rights.begin(method, args);
    let ok = false;
    running.serving.operation = operationOfCall(method, args);
    try {
      const value = await running.instance.invoke(method, [reg.handle, ...args]);
      ok = true;
      return value;
    } finally {
      delete running.serving.operation;
      settle(ok);
      if (ok && method === 'deleteNetwork') this.#sweepFirewall(linkOperation.network(args[0] as string));
    }
  }

  /** The host owns a network's firewall rules: they go with it, whatever the driver removed. */
  #sweepFirewall(operation: string): void {
    try {
      this.services.firewall?.sweep(operation);
    } catch (error) {
      this.services.log(this.owner, 'warn', `firewall rules of ${operation}: ${(error as Error).message}`);
    }
  }

  /** The instance died: the first fault restarts it at once, further consecutive ones only
   * after a backoff, and only when a call comes (so never in a loop of its own). */
  async #fault(error: DriverError): Promise<void> {
    this.#noteFault(error.message);
    await this.#restart().catch(() => undefined);
  }

  #noteFault(message: string): void {
    this.#faults.fault(message);
    this.#running = undefined;
    this.services.log(this.owner, 'error', message);
    this.emit('health', this.health);
  }

  /** Re-creates the instance, restores its state and replays; refuses with DriverUnhealthy
   * while backing off, or when the restart itself fails. */
  async #restart(): Promise<void> {
    if (this.#faults.waitMs() > 0) throw this.#faults.unhealthy(this.owner);
    this.#running = undefined;
    let running: Running | undefined;
    try {
      running = await this.#start(this.#compiled);
      await this.#replay(running, 'restart');
      this.#running = running;
    } catch (error) {
      await running?.instance.terminate();
      this.#noteFault(`restart failed: ${error instanceof Error ? error.message : String(error)}`);
      throw this.#faults.unhealthy(this.owner);
    }
  }

  async #replay(running: Running, reason: ReplayEvent['reason']): Promise<void> {
    const hook = this.services.replay();
    if (hook === undefined) return;
    await hook(
      replayEvent(
        this.owner,
        reason,
        running.handles.values(),
        (kind, name) => (method, args) => this.#invoke(running, { kind, name, method, args }),
      ),
    );
  }

  async #start(compiled: CompiledComponent): Promise<Running> {
    const serving: Running['serving'] = {};
    const { limits } = this.services;
    const { instance, registrations } = await ComponentInstance.start({
      label: this.owner,
      compiled,
      store: this.services.store.entries(this.owner),
      deadlineMs: limits.deadlineMs,
      initDeadlineMs: limits.initDeadlineMs,
      maxResultBytes: limits.maxResultBytes,
      storeQuota: this.services.storeQuota,
      logLimits: this.services.logLimits,
      logDropped: (count) => this.services.logDropped(this.owner, count),
      log: (level, message) => this.services.log(this.owner, level, message),
      host: hostImports({
        owner: this.owner,
        registry: this.services.registry,
        ownership: this.services.ownership,
        plumbing: this.services.plumbing,
        operation: () => serving.operation,
        firewall: this.services.firewall,
        pools: () => this.#rights.pools(),
        maxLinks: this.services.maxLinks,
      }),
      storeWrites: (writes) => {
        this.services.store.apply(this.owner, writes);
        this.#storeVersion++;
      },
    });
    return {
      instance,
      handles: new Map(registrations.map((reg) => [registrationKey(reg.kind, reg.name), reg])),
      serving,
    };
  }
}
