// The model's public surface (libnetwork's NetworkController, Network, Endpoint, Sandbox) and its ports.
export { NetworkController } from './controller.js';
export type { ControllerPorts, LinkBook } from './context.js';
export { Network } from './network.js';
export { Endpoint, MAC_ADDRESS, type EndpointInfo } from './endpoint.js';
export { Sandbox } from './sandbox.js';
export { deleteWithEndpoints, leaveAndDelete, LeftoverSweeper, type Leftover } from './leftovers.js';
export type { EndpointOptions, IpamConfig, JoinOptions, NetworkOptions, SandboxOptions } from './model.js';
export type { RecoveryReport } from './restore.js';
export type { Driver, DriverLookup } from './driver-api.js';
export { type ClusterNode, NodeDiscovery } from './discovery.js';
export type { ClusterPort, GlobalNetworkEvents, GlobalNetworkSpec, NodeEvents } from './cluster-api.js';
export type { Ipam, IpamLookup } from './ipam-api.js';
export type { DefaultGateway, InterfaceConfig, SandboxNamespace, SandboxPlumbing } from './plumbing.js';
export type { LinkRows, RecordStore, RecordTable } from './record-store.js';
export {
  InProcessTableStore,
  type TableEvent,
  type TableListener,
  type TableStore,
  type TableSubscription,
} from './tables.js';
export * from './errors.js';
