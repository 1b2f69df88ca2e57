// wasmnet/ipam: libnetwork's ipamapi and its default allocator.
export type { AddressResponse, AddressSpaces, Capabilities, Ipam, PoolRequest, PoolResponse } from './api.js';
export { GATEWAY_ADDRESS_TYPE, REQUEST_ADDRESS_TYPE, SERIAL_OPTION } from './api.js';
export { IPAM_ERROR_CODES, IpamError, type IpamErrorCode } from './errors.js';
export { DefaultIpam, GLOBAL_DEFAULT, LOCAL_DEFAULT, type DefaultIpamOptions } from './default-ipam.js';
export { DEFAULT_GLOBAL_POOLS, DEFAULT_LOCAL_POOLS, type PoolBase } from './predefined.js';
