// The library entry point (`import { ... } from 'wasmnet'`): the controller (libnetwork's
// NetworkController, Network, Endpoint, Sandbox), its real ports, and the WIT contract's identity.
export * from './controller/index.js';
export * from './wiring/index.js';
export { WIT_PACKAGE, WIT_VERSION, WORLDS } from './wit/contract.js';
