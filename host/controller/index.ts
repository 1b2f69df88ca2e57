// The controller's public surface (libnetwork's NetworkController, Network, Endpoint, Sandbox).
export { Controller, type ControllerOptions } from './controller.js';
export { Network } from './network.js';
export { Endpoint, MAC_ADDRESS, type EndpointInfo } from './endpoint.js';
export { Sandbox } from './sandbox.js';
export type { EndpointOptions, IpamConfig, JoinOptions, NetworkOptions, SandboxOptions } from './model.js';
export type { RecoveryReport } from './restore.js';
export type { Driver, DriverLookup } from './driver-api.js';
export type { Ipam, IpamLookup } from './ipam-api.js';
export type { DefaultGateway, InterfaceConfig, SandboxNamespace, SandboxPlumbing } from './plumbing.js';
export { NetnsPlumbing } from '../wiring/netns-plumbing.js';
export {
  InProcessTableStore,
  type TableEvent,
  type TableListener,
  type TableStore,
  type TableSubscription,
} from './tables.js';
export { ControllerStore } from '../wiring/lmdb-store.js';
export * from './errors.js';
