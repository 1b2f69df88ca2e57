// The host's view of a network driver and of an IPAM driver. Signatures follow the WIT
// (generated types): the driver handle is bound, borrowed host resources become plain data in
// and recorded effects out. The controller cannot tell a Wasm component from an in-process driver.
import type * as Wit from '../generated/wit/network-driver/interfaces/wasmnet-driver-driver.js';
import type * as WitTypes from '../generated/wit/network-driver/interfaces/wasmnet-driver-types.js';
import type * as WitIpam from '../generated/wit/ipam-driver/interfaces/wasmnet-driver-ipam.js';
import type { IpamCapability as WitIpamCapability } from '../generated/wit/ipam-driver/interfaces/wasmnet-driver-ipam-callback.js';
import type { RouteType, ObjectType } from '../generated/wit/network-driver/interfaces/wasmnet-driver-resources.js';

export type Options = WitTypes.Options;
export type IpamData = WitTypes.IpamData;
export type Capability = WitTypes.Capability;
export type EventType = WitTypes.EventType;
export type Discovery = WitTypes.Discovery;
export type TableEntrySummary = WitTypes.TableEntrySummary;
export type IpamCapability = WitIpamCapability;

/** What the driver did with network-info during create-network. */
export interface NetworkInfoEffects {
  tables: Array<{ tableName: string; objectType: ObjectType }>;
}

/** interface-info: the endpoint's addresses in, and the driver's settings out. */
export interface InterfaceData {
  mac?: string;
  address?: string;
  addressIpv6?: string;
}

export interface StaticRoute {
  destination: string;
  routeType: RouteType;
  nextHop?: string;
}

/** What the driver set on join-info during join. */
export interface JoinEffects {
  names?: { srcName: string; dstPrefix: string };
  gateway?: string;
  gatewayIpv6?: string;
  staticRoutes: StaticRoute[];
  disableGatewayService: boolean;
  tableEntries: Array<{ tableName: string; key: string; value: Uint8Array }>;
}

type Tail<F extends (driver: number, ...rest: never[]) => unknown> = F extends (
  driver: number,
  ...rest: infer R
) => unknown
  ? R
  : never;

/** driverapi.Driver. */
export interface Driver {
  networkAllocate(...args: Tail<typeof Wit.networkAllocate>): Promise<Options>;
  networkFree(...args: Tail<typeof Wit.networkFree>): Promise<void>;
  createNetwork(
    networkId: string,
    options: Options,
    ipv4Data: IpamData[],
    ipv6Data: IpamData[],
  ): Promise<NetworkInfoEffects>;
  deleteNetwork(...args: Tail<typeof Wit.deleteNetwork>): Promise<void>;
  /** `iface` holds what the endpoint already has; the result is what it has after the call. */
  createEndpoint(networkId: string, endpointId: string, iface: InterfaceData, options: Options): Promise<InterfaceData>;
  deleteEndpoint(...args: Tail<typeof Wit.deleteEndpoint>): Promise<void>;
  endpointOperInfo(...args: Tail<typeof Wit.endpointOperInfo>): Promise<Options>;
  join(networkId: string, endpointId: string, sandboxKey: string, options: Options): Promise<JoinEffects>;
  leave(...args: Tail<typeof Wit.leave>): Promise<void>;
  programExternalConnectivity(...args: Tail<typeof Wit.programExternalConnectivity>): Promise<void>;
  revokeExternalConnectivity(...args: Tail<typeof Wit.revokeExternalConnectivity>): Promise<void>;
  eventNotify(...args: Tail<typeof Wit.eventNotify>): Promise<void>;
  decodeTableEntry(...args: Tail<typeof Wit.decodeTableEntry>): Promise<TableEntrySummary>;
  discoverNew(...args: Tail<typeof Wit.discoverNew>): Promise<void>;
  discoverDelete(...args: Tail<typeof Wit.discoverDelete>): Promise<void>;
  /** driverapi.Driver.Type. */
  type(): string;
}

export type AddressSpaces = WitIpam.AddressSpaces;
export type PoolRequest = WitIpam.PoolRequest;
export type PoolResponse = WitIpam.PoolResponse;
export type AddressResponse = WitIpam.AddressResponse;

/** ipamapi.Ipam (matches `ipam/`'s Ipam until that module exports one). */
export interface Ipam {
  getDefaultAddressSpaces(): Promise<AddressSpaces>;
  requestPool(request: PoolRequest): Promise<PoolResponse>;
  releasePool(poolId: string): Promise<void>;
  requestAddress(poolId: string, preferred: string | undefined, options: Options): Promise<AddressResponse>;
  releaseAddress(poolId: string, address: string): Promise<void>;
}
