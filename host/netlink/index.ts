// Public API of the host's netlink plumbing.
export { ForbiddenError, InvalidInputError, NetlinkError, errnoName, type ErrorCode } from './errors.js';
export {
  Netns,
  bindNetns,
  createNetns,
  deleteNetns,
  isBoundNetns,
  openNetns,
  releaseNetns,
  selfNetns,
  unbindNetns,
  unshareNetns,
  withNetns,
  type UnboundNetns,
} from './netns.js';
export { netnsIdentity, netnsIdentityOf, openNetnsFile } from './netns-file.js';
export { Batch, Rtnl } from './rtnl.js';
export { NetlinkSocket, type Outcome, type Reply, type Request } from './socket.js';
export { sysctlFiles, sysctlGet, sysctlSet } from './sysctl.js';
export { OwnershipRegistry, type LinkOp, type NsRef, type OwnershipState } from './ownership.js';
export { Rollback, withRollback } from './rollback.js';
export type { NeighbourInfo } from './decode.js';
export { checkLinkName, formatIp, formatMac, parseCidr, parseIp, parseMac } from './validate.js';
export type * from './types.js';
