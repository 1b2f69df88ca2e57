// @wasmnet/sdk for AssemblyScript: everything a driver author imports.
export * from './generated/bindings';
export * from './errors';
export * from './driver';
export * from './ipam';
export * from './net';
export * from './labels';
export * from './store';
export * from './single-network';
export * from './veth';
