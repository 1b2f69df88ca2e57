// The contract: libnetwork's ipamapi.Ipam, as the controller, the Docker IPAM plugin endpoint
// and the CNI plugin call it. Implementations throw IpamError (./errors.ts).

export interface AddressSpaces {
  localDefaultAddressSpace: string;
  globalDefaultAddressSpace: string;
}

export interface PoolRequest {
  addressSpace: string;
  /** A CIDR; absent (or `0.0.0.0/N`, `::/N`) asks for a predefined pool. */
  pool?: string;
  /** A CIDR inside `pool`: addresses are then given from it only. */
  subPool?: string;
  options?: Record<string, string>;
  /** CIDRs a dynamically chosen pool must not overlap (host routes, nameservers). */
  exclude?: string[];
  v6?: boolean;
}

export interface PoolResponse {
  poolId: string;
  pool: string;
  data: Record<string, string>;
}

export interface AddressResponse {
  /** CIDR with the pool's mask, e.g. "172.18.0.2/16". */
  address: string;
  data: Record<string, string>;
}

export interface Capabilities {
  requiresMacAddress: boolean;
  requiresRequestReplay: boolean;
}

export interface Ipam {
  getDefaultAddressSpaces(): Promise<AddressSpaces>;
  requestPool(req: PoolRequest): Promise<PoolResponse>;
  releasePool(poolId: string): Promise<void>;
  requestAddress(poolId: string, preferred?: string, options?: Record<string, string>): Promise<AddressResponse>;
  releaseAddress(poolId: string, address: string): Promise<void>;
  capabilities(): Capabilities;
}

/** Option keys and values libnetwork passes (netlabel / ipamapi constants). */
export const REQUEST_ADDRESS_TYPE = 'RequestAddressType';
export const GATEWAY_ADDRESS_TYPE = 'com.docker.network.gateway';
export const SERIAL_OPTION = 'com.docker.network.ipam.serial';
