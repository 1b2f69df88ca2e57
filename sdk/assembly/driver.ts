// The network-driver base class and its registry: a plugin registers its drivers while its
// module initialises; the exported `init` then hands them to the host's driver-callback.
import {
  Capability,
  Discovery,
  DriverCallback,
  EventType,
  InterfaceInfo,
  IpamData,
  JoinInfo,
  NetworkInfo,
  Options,
  Result,
  TableEntrySummary,
  WitError,
} from './generated/bindings';
import { notFound, notImplemented } from './errors';
import { Registry } from './registry';

/**
 * driverapi.Driver. Override what your driver supports; everything else answers
 * `not-implemented`. A `WitError | null` result is null on success.
 */
export class Driver {
  /** The network type this driver was registered under (set by registerDriver). */
  name: string = '';

  networkAllocate(
    networkId: string,
    options: Options,
    ipv4Data: IpamData[],
    ipv6Data: IpamData[],
  ): Result<Options, WitError> {
    return Result.err<Options, WitError>(notImplemented('network-allocate'));
  }
  networkFree(networkId: string): WitError | null {
    return notImplemented('network-free');
  }
  createNetwork(
    networkId: string,
    options: Options,
    info: NetworkInfo,
    ipv4Data: IpamData[],
    ipv6Data: IpamData[],
  ): WitError | null {
    return notImplemented('create-network');
  }
  deleteNetwork(networkId: string): WitError | null {
    return notImplemented('delete-network');
  }
  createEndpoint(networkId: string, endpointId: string, iface: InterfaceInfo, options: Options): WitError | null {
    return notImplemented('create-endpoint');
  }
  deleteEndpoint(networkId: string, endpointId: string): WitError | null {
    return notImplemented('delete-endpoint');
  }
  endpointOperInfo(networkId: string, endpointId: string): Result<Options, WitError> {
    return Result.err<Options, WitError>(notImplemented('endpoint-oper-info'));
  }
  join(networkId: string, endpointId: string, sandboxKey: string, info: JoinInfo, options: Options): WitError | null {
    return notImplemented('join');
  }
  leave(networkId: string, endpointId: string): WitError | null {
    return notImplemented('leave');
  }
  /** Called (with revokeExternalConnectivity) unless the driver registered with
   * `ExternalConnectivity.None` in its Capability (with `Ports`: only for ports to publish). */
  programExternalConnectivity(networkId: string, endpointId: string, options: Options): WitError | null {
    return notImplemented('program-external-connectivity');
  }
  revokeExternalConnectivity(networkId: string, endpointId: string): WitError | null {
    return notImplemented('revoke-external-connectivity');
  }
  /** A table entry written by this network's driver on another host changed. */
  eventNotify(event: EventType, networkId: string, tableName: string, key: string, value: Uint8Array): void {}
  decodeTableEntry(tableName: string, key: string, value: Uint8Array): TableEntrySummary {
    return new TableEntrySummary(key, []);
  }
  discoverNew(discovery: Discovery): WitError | null {
    return notImplemented('discover-new');
  }
  discoverDelete(discovery: Discovery): WitError | null {
    return notImplemented('discover-delete');
  }
}

const registry = new Registry<Driver, Capability>();

/**
 * Register a network type. Call it at the top level of your module (or from a function it
 * runs there): the host receives the registration when it calls the plugin's `init`.
 * Returns the driver handle.
 */
export function registerDriver(name: string, driver: Driver, capability: Capability): u32 {
  driver.name = name;
  return registry.add(name, driver, capability);
}

/** Hands every registration to the host (the plugin's `init`). */
export function announceDrivers(): WitError | null {
  return registry.announce(DriverCallback.registerDriver);
}

/** The driver behind a handle, or null for a handle never registered. */
export function driverFor(handle: u32): Driver | null {
  return registry.get(handle);
}

export function unknownDriver(handle: u32): WitError {
  return notFound(`no driver with handle ${handle}`);
}
