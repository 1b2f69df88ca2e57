// The host imports, typed from wit/ by the build (host/generated/wit/host-imports.ts): the one
// list of what a guest may ask the host. Add a function to the WIT, build, and the compiler names
// every handler map that must serve it.
export {
  applyHostCall,
  HOST_IMPORT_FUNCTIONS,
  type HostArgs,
  type HostCall,
  type HostHandlers,
  type HostImports,
  type HostInterface,
  type HostOp,
  type HostResult,
  type HostRules,
} from '../generated/wit/host-imports.js';
import type { HostCall, HostOp } from '../generated/wit/host-imports.js';

export type NetlinkOp = HostOp<'netlink'>;
/** One netlink request of a guest; `args[0]` is always the namespace it acts in. */
export type NetlinkCall = HostCall<'netlink'>;
