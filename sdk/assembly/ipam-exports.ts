// The exported `ipam` and `plugin` interfaces of an IPAM-driver component.
import {
  AddressResponse,
  AddressSpaces,
  IpamError,
  Options,
  PoolRequest,
  PoolResponse,
  Result,
  WitError,
} from './generated/bindings';
import { announceIpamDrivers, ipamDriverFor, unknownIpamDriver } from './ipam';

export function init(): WitError | null {
  return announceIpamDrivers();
}
export function getDefaultAddressSpaces(driver: u32): Result<AddressSpaces, IpamError> {
  const d = ipamDriverFor(driver);
  return d === null ? Result.err<AddressSpaces, IpamError>(unknownIpamDriver(driver)) : d.getDefaultAddressSpaces();
}
export function requestPool(driver: u32, request: PoolRequest): Result<PoolResponse, IpamError> {
  const d = ipamDriverFor(driver);
  return d === null ? Result.err<PoolResponse, IpamError>(unknownIpamDriver(driver)) : d.requestPool(request);
}
export function releasePool(driver: u32, poolId: string): IpamError | null {
  const d = ipamDriverFor(driver);
  return d === null ? unknownIpamDriver(driver) : d.releasePool(poolId);
}
export function requestAddress(
  driver: u32,
  poolId: string,
  preferred: string | null,
  options: Options,
): Result<AddressResponse, IpamError> {
  const d = ipamDriverFor(driver);
  return d === null
    ? Result.err<AddressResponse, IpamError>(unknownIpamDriver(driver))
    : d.requestAddress(poolId, preferred, options);
}
export function releaseAddress(driver: u32, poolId: string, address: string): IpamError | null {
  const d = ipamDriverFor(driver);
  return d === null ? unknownIpamDriver(driver) : d.releaseAddress(poolId, address);
}
