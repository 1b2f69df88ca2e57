// The exported `driver` interface: each call goes to the driver registered under its handle.
import {
  Discovery,
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
import { announceDrivers, driverFor, unknownDriver } from './driver';

export function networkAllocate(
  driver: u32,
  networkId: string,
  options: Options,
  ipv4Data: IpamData[],
  ipv6Data: IpamData[],
): Result<Options, WitError> {
  const d = driverFor(driver);
  return d === null
    ? Result.err<Options, WitError>(unknownDriver(driver))
    : d.networkAllocate(networkId, options, ipv4Data, ipv6Data);
}
export function networkFree(driver: u32, networkId: string): WitError | null {
  const d = driverFor(driver);
  return d === null ? unknownDriver(driver) : d.networkFree(networkId);
}
export function createNetwork(
  driver: u32,
  networkId: string,
  options: Options,
  info: NetworkInfo,
  ipv4Data: IpamData[],
  ipv6Data: IpamData[],
): WitError | null {
  const d = driverFor(driver);
  return d === null ? unknownDriver(driver) : d.createNetwork(networkId, options, info, ipv4Data, ipv6Data);
}
export function deleteNetwork(driver: u32, networkId: string): WitError | null {
  const d = driverFor(driver);
  return d === null ? unknownDriver(driver) : d.deleteNetwork(networkId);
}
export function createEndpoint(
  driver: u32,
  networkId: string,
  endpointId: string,
  iface: InterfaceInfo,
  options: Options,
): WitError | null {
  const d = driverFor(driver);
  return d === null ? unknownDriver(driver) : d.createEndpoint(networkId, endpointId, iface, options);
}
export function deleteEndpoint(driver: u32, networkId: string, endpointId: string): WitError | null {
  const d = driverFor(driver);
  return d === null ? unknownDriver(driver) : d.deleteEndpoint(networkId, endpointId);
}
export function endpointOperInfo(driver: u32, networkId: string, endpointId: string): Result<Options, WitError> {
  const d = driverFor(driver);
  return d === null ? Result.err<Options, WitError>(unknownDriver(driver)) : d.endpointOperInfo(networkId, endpointId);
}
export function join(
  driver: u32,
  networkId: string,
  endpointId: string,
  sandboxKey: string,
  info: JoinInfo,
  options: Options,
): WitError | null {
  const d = driverFor(driver);
  return d === null ? unknownDriver(driver) : d.join(networkId, endpointId, sandboxKey, info, options);
}
export function leave(driver: u32, networkId: string, endpointId: string): WitError | null {
  const d = driverFor(driver);
  return d === null ? unknownDriver(driver) : d.leave(networkId, endpointId);
}
export function programExternalConnectivity(
  driver: u32,
  networkId: string,
  endpointId: string,
  options: Options,
): WitError | null {
  const d = driverFor(driver);
  return d === null ? unknownDriver(driver) : d.programExternalConnectivity(networkId, endpointId, options);
}
export function revokeExternalConnectivity(driver: u32, networkId: string, endpointId: string): WitError | null {
  const d = driverFor(driver);
  return d === null ? unknownDriver(driver) : d.revokeExternalConnectivity(networkId, endpointId);
}
export function eventNotify(
  driver: u32,
  event: EventType,
  networkId: string,
  tableName: string,
  key: string,
  value: Uint8Array,
): void {
  const d = driverFor(driver);
  if (d !== null) d.eventNotify(event, networkId, tableName, key, value);
}
export function decodeTableEntry(driver: u32, tableName: string, key: string, value: Uint8Array): TableEntrySummary {
  const d = driverFor(driver);
  return d === null ? new TableEntrySummary(key, []) : d.decodeTableEntry(tableName, key, value);
}
export function discoverNew(driver: u32, discovery: Discovery): WitError | null {
  const d = driverFor(driver);
  return d === null ? unknownDriver(driver) : d.discoverNew(discovery);
}
export function discoverDelete(driver: u32, discovery: Discovery): WitError | null {
  const d = driverFor(driver);
  return d === null ? unknownDriver(driver) : d.discoverDelete(discovery);
}
export function type_(driver: u32): string {
  const d = driverFor(driver);
  return d === null ? '' : d.name;
}

/** The exported `plugin` interface of a network-driver component. */
export function init(): WitError | null {
  return announceDrivers();
}
