// The real ports (the Wasm driver runtime, netlink, LMDB) and `Controller.create`, which plugs them into the model.
export { Controller, type ControllerOptions } from './controller.js';
export { ControllerStore } from './lmdb-store.js';
export { NetnsPlumbing } from './netns-plumbing.js';
