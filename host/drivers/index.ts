// The driver runtime's public surface, for the controller and the API.
export type {
  AddressResponse,
  AddressSpaces,
  Capability,
  Driver,
  InterfaceData,
  Ipam,
  IpamCapability,
  JoinEffects,
  NetworkInfoEffects,
  PoolRequest,
  PoolResponse,
  StaticRoute,
} from './api.js';
export {
  DriverError,
  DriverUnhealthy,
  Forbidden,
  Internal,
  InvalidParameter,
  NoService,
  NotFound,
  NotImplemented,
  Retry,
  type ErrorKind,
} from './errors.js';
export {
  DriverRegistry,
  HOST_OWNER,
  type DriverEntry,
  type IpamEntry,
  type RegistryChange,
  type RegistryKind,
} from './registry.js';
export { DriverRuntime, DEFAULT_DEADLINE_MS, DEFAULT_MEMORY_MAX_BYTES, type RuntimeOptions } from './runtime.js';
export { DriversDirectory, type WatchEvent } from './watcher.js';
export {
  createdIn,
  LinkOwnership,
  linkOperation,
  type NetlinkCall,
  type NetlinkCaller,
  type NetlinkOp,
  type PlumbingBackend,
} from './plumbing.js';
export { FileStore, MemoryStore, QuotaStore, type StoreBackend, type StoreWrite } from './store.js';
export { DEFAULT_STORE_QUOTA, StoreQuotaExceeded, type StoreQuota } from './store-quota.js';
export { DEFAULT_MAX_LINKS, LinkLimitExceeded } from './link-limit.js';
export { DEFAULT_LOG_LIMITS, type LogLimits } from './log-limit.js';
export { parseDriverLimits, type DriverLimits } from './limits.js';
export type { DriverSlot } from './slot.js';
export type { SlotHealth } from './fault-policy.js';
export type { ReplayEvent, ReplayHook } from './replay.js';
export type { FirewallBackend } from './firewall.js';
