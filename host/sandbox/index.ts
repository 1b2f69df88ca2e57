// Public API of sandbox plumbing (libnetwork's osl).
export {
  Sandbox,
  type InterfaceSpec,
  type SandboxInterface,
  type SandboxOptions,
  type StaticRoute,
} from './sandbox.js';
export { LinkDeleter } from './deleter.js';
export { NetnsPool } from './netns-pool.js';
