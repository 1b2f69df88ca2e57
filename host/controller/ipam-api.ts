// The controller's view of IPAM: ipamapi as issue 3 defines `Ipam` for `ipam/`
// (structurally the same, so ipam/'s DefaultIpam and Wasm IPAM adapters both fit).
export interface IpamApi {
  getDefaultAddressSpaces(): Promise<{ localDefaultAddressSpace: string; globalDefaultAddressSpace: string }>;
  requestPool(request: {
    addressSpace: string;
    pool?: string;
    subPool?: string;
    options?: Record<string, string>;
    exclude?: string[];
    v6?: boolean;
  }): Promise<{ poolId: string; pool: string; data: Record<string, string> }>;
  releasePool(poolId: string): Promise<void>;
  requestAddress(poolId: string, preferred?: string, options?: Record<string, string>): Promise<{ address: string; data: Record<string, string> }>;
  releaseAddress(poolId: string, address: string): Promise<void>;
}

/** IPAM drivers by name ("default" is the built-in one). */
export interface IpamLookup {
  ipam(name: string): IpamApi | undefined;
}

/** ipamapi.RequestAddressType / netlabel.Gateway: marks a gateway address request. */
export const REQUEST_ADDRESS_TYPE = 'RequestAddressType';
export const GATEWAY_REQUEST = 'com.docker.network.gateway';
export const DEFAULT_IPAM = 'default';
