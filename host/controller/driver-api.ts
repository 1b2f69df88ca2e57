// The controller's view of drivers: the runtime's `Driver` (host/drivers, mirroring the WIT
// `driver` interface) and a lookup by network type. DriverRegistry satisfies DriverLookup.
import type { Capability, Driver } from '../drivers/index.js';
import { namesPorts } from './ports.js';

export type {
  Capability,
  Driver,
  InterfaceData,
  JoinEffects,
  NetworkInfoEffects,
  StaticRoute,
} from '../drivers/index.js';
export type { EventType, IpamData, Options } from '../drivers/api.js';

export interface DriverLookup {
  driver(name: string): { driver: Driver; capability: Capability } | undefined;
  /** Every registered driver (node discovery goes to each); absent: discovery reaches none. */
  walkDrivers?(visit: (name: string, entry: { driver: Driver; capability: Capability }) => boolean | undefined): void;
}

/** A driver whose capability is global spans the cluster: NetworkAllocate and NetworkFree, once per network. */
export function isGlobal(capability: Capability | undefined): boolean {
  return capability?.dataScope === 'global';
}

/** False when the driver registered `externalConnectivity: 'none'`: the controller never calls Program/RevokeExternalConnectivity. */
export function programsExternalConnectivity(capability: Capability | undefined): boolean {
  return capability?.externalConnectivity !== 'none';
}

/**
 * Whether Program/RevokeExternalConnectivity with these options can do anything: a driver of
 * `externalConnectivity: 'ports'` only publishes the ports they name (each call is a trip into
 * the driver's thread on a join and on a leave).
 */
export function programsWith(capability: Capability | undefined, options: ReadonlyArray<[string, string]>): boolean {
  if (!programsExternalConnectivity(capability)) return false;
  return capability?.externalConnectivity !== 'ports' || namesPorts(options);
}
