// The library entry point (`import { ... } from 'wasmnet'`).
export { WIT_PACKAGE, WIT_VERSION, WORLDS } from './wit/contract.js';
