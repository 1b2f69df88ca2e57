// The IPAM-driver base class and its registry (ipamapi.Ipam), as driver.ts for networks.
import {
  AddressResponse,
  AddressSpaces,
  IpamCallback,
  IpamCapability,
  IpamError,
  IpamErrorCode,
  Options,
  PoolRequest,
  PoolResponse,
  Result,
  WitError,
} from './generated/bindings';
import { Registry } from './registry';

export function ipamError(code: IpamErrorCode, message: string): IpamError {
  return new IpamError(code, message);
}

function notImplemented(what: string): IpamError {
  return new IpamError(IpamErrorCode.Internal, `${what}: not implemented`);
}

/** ipamapi.Ipam. Override every method your IPAM driver supports. */
export class IpamDriver {
  name: string = '';

  getDefaultAddressSpaces(): Result<AddressSpaces, IpamError> {
    return Result.err<AddressSpaces, IpamError>(notImplemented('get-default-address-spaces'));
  }
  requestPool(request: PoolRequest): Result<PoolResponse, IpamError> {
    return Result.err<PoolResponse, IpamError>(notImplemented('request-pool'));
  }
  releasePool(poolId: string): IpamError | null {
    return notImplemented('release-pool');
  }
  requestAddress(poolId: string, preferred: string | null, options: Options): Result<AddressResponse, IpamError> {
    return Result.err<AddressResponse, IpamError>(notImplemented('request-address'));
  }
  releaseAddress(poolId: string, address: string): IpamError | null {
    return notImplemented('release-address');
  }
}

const registry = new Registry<IpamDriver, IpamCapability>();

/** Register an IPAM driver at module top level; the host receives it at `init`. Returns its handle. */
export function registerIpamDriver(name: string, driver: IpamDriver, capability: IpamCapability): u32 {
  driver.name = name;
  return registry.add(name, driver, capability);
}

export function announceIpamDrivers(): WitError | null {
  return registry.announce(IpamCallback.registerIpamDriver);
}

export function ipamDriverFor(handle: u32): IpamDriver | null {
  return registry.get(handle);
}

export function unknownIpamDriver(handle: u32): IpamError {
  return new IpamError(IpamErrorCode.Internal, `no IPAM driver with handle ${handle}`);
}
