// libnetwork's drvregistry: network and IPAM drivers by name with their capability.
// registerDriver is the DriverCallback every driver package (in-process or Wasm) is handed.
import { EventEmitter } from 'node:events';
import type { Capability, Driver, Ipam, IpamCapability } from './api.js';
import { Forbidden, NotFound } from './errors.js';
import { checkDriverName } from './names.js';

/** Owner of drivers registered by the host itself (in-process drivers). */
export const HOST_OWNER = 'host';

export type RegistryKind = 'driver' | 'ipam';

export interface DriverEntry {
  driver: Driver;
  capability: Capability;
  owner: string;
}

export interface IpamEntry {
  ipam: Ipam;
  capability: IpamCapability;
  owner: string;
}

export interface RegistryChange {
  kind: RegistryKind;
  name: string;
  change: 'added' | 'changed' | 'removed';
  owner: string;
}

export interface RegistryOptions {
  /** Built-in names and the only owner that may register each (e.g. bridge → its component). */
  builtins?: Record<string, string>;
}

export class DriverRegistry extends EventEmitter<{ change: [RegistryChange] }> {
  readonly #drivers = new Map<string, DriverEntry>();
  readonly #ipams = new Map<string, IpamEntry>();
  readonly #builtins: Map<string, string>;

  constructor(options: RegistryOptions = {}) {
    super();
    this.#builtins = new Map(Object.entries(options.builtins ?? {}));
  }

  /** Throws the error registering `name` for `owner` would raise; `own` names may be re-registered. */
  check(kind: RegistryKind, name: string, owner: string): void {
    checkDriverName(kind, name);
    const builtinOwner = this.#builtins.get(name);
    if (builtinOwner !== undefined && builtinOwner !== owner) {
      throw new Forbidden(`${kind} name "${name}" is built in and cannot be taken by ${owner}`);
    }
    const existing = this.#table(kind).get(name);
    if (existing !== undefined && existing.owner !== owner) {
      throw new Forbidden(`${kind} "${name}" is already registered by ${existing.owner}`);
    }
  }

  /** driverapi.DriverCallback.RegisterDriver. */
  registerDriver(name: string, driver: Driver, capability: Capability, owner = HOST_OWNER): void {
    this.check('driver', name, owner);
    if (this.#drivers.has(name)) throw new Forbidden(`driver "${name}" is already registered`);
    this.#drivers.set(name, { driver, capability, owner });
    this.emit('change', { kind: 'driver', name, change: 'added', owner });
  }

  /** ipamapi.Callback.RegisterIpamDriverWithCapabilities. */
  registerIpamDriver(name: string, ipam: Ipam, capability: IpamCapability, owner = HOST_OWNER): void {
    this.check('ipam', name, owner);
    if (this.#ipams.has(name)) throw new Forbidden(`ipam "${name}" is already registered`);
    this.#ipams.set(name, { ipam, capability, owner });
    this.emit('change', { kind: 'ipam', name, change: 'added', owner });
  }

  /** Announce that an owner's registration changed in place (restart, upgrade, new capability). */
  changed(kind: RegistryKind, name: string, capability?: Capability | IpamCapability): void {
    const entry = this.#table(kind).get(name);
    if (entry === undefined) throw new NotFound(`${kind} "${name}" is not registered`);
    if (capability !== undefined) (entry as { capability: unknown }).capability = capability;
    this.emit('change', { kind, name, change: 'changed', owner: entry.owner });
  }

  unregister(kind: RegistryKind, name: string, owner: string): void {
    const table = this.#table(kind);
    const entry = table.get(name);
    if (entry === undefined) throw new NotFound(`${kind} "${name}" is not registered`);
    if (entry.owner !== owner) throw new Forbidden(`${kind} "${name}" belongs to ${entry.owner}, not ${owner}`);
    table.delete(name);
    this.emit('change', { kind, name, change: 'removed', owner });
  }

  driver(name: string): DriverEntry | undefined {
    return this.#drivers.get(name);
  }

  ipam(name: string): IpamEntry | undefined {
    return this.#ipams.get(name);
  }

  /** Like drvregistry.WalkDrivers: stops when `visit` returns true. */
  walkDrivers(visit: (name: string, entry: DriverEntry) => boolean | undefined): void {
    for (const [name, entry] of this.#drivers) if (visit(name, entry) === true) return;
  }

  walkIpams(visit: (name: string, entry: IpamEntry) => boolean | undefined): void {
    for (const [name, entry] of this.#ipams) if (visit(name, entry) === true) return;
  }

  #table(kind: RegistryKind): Map<string, DriverEntry | IpamEntry> {
    return kind === 'driver' ? this.#drivers : this.#ipams;
  }
}
