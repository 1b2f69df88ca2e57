// The controller's view of drivers: the runtime's `Driver` (host/drivers, mirroring the WIT
// `driver` interface) and a lookup by network type. DriverRegistry satisfies DriverLookup.
import type { Capability, Driver } from '../drivers/index.js';

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

/**
 * False when the driver registered `externalConnectivity: false`: its
 * Program/RevokeExternalConnectivity do nothing, and the controller does not call them.
 */
export function programsExternalConnectivity(capability: Capability | undefined): boolean {
  return capability?.externalConnectivity !== false;
}
