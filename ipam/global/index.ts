// wasmnet/ipam/global: the GlobalDefault address space of a cluster, on etcd.
export { DEFAULT_IPAM_PREFIX, GlobalIpam, type GlobalIpamOptions } from './global-ipam.js';
export { SplitIpam } from './split-ipam.js';
