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
}

/**
 * False when the driver registered `externalConnectivity: false`: its
 * Program/RevokeExternalConnectivity do nothing, and the controller does not call them.
 */
export function programsExternalConnectivity(capability: Capability | undefined): boolean {
  return capability?.externalConnectivity !== false;
}
