// The guest's `netlink` import: every request goes through the ownership check (host/netlink's
// OwnershipRegistry), then to the plumbing backend, and what it created or removed is recorded.
import type * as Netlink from '../generated/wit/network-driver/interfaces/wasmnet-driver-netlink.js';
import { excerpt } from '../excerpt.js';
import { OwnershipRegistry, type LinkOp } from '../netlink/ownership.js';
import { applyHostCall, type HostRules, type NetlinkCall } from '../wit/host-imports.js';
import { DriverError, Forbidden, fromWire, type ErrorKind } from './errors.js';
import { checkHostAddress, checkHostRoute } from './host-routes.js';
import { checkLinkLimit } from './link-limit.js';

export type { NetlinkCall, NetlinkOp } from '../wit/host-imports.js';

/**
 * Carries out a netlink request already allowed by the ownership check (host/netlink +
 * host/sandbox). `operation`: the controller operation the driver is serving (operationOfCall).
 */
export interface PlumbingBackend {
  netlink(call: NetlinkCall, operation?: string): unknown;
}

/**
 * The controller operations links are tagged with: the controller removes what an operation's
 * links a crash cut short, or a Leave left, by this tag.
 */
export const linkOperation = {
  network: (networkId: string): string => `net:${networkId}`,
  join: (endpointId: string): string => `join:${endpointId}`,
  endpoint: (endpointId: string): string => `ep:${endpointId}`,
  /** What a tag names: a network, an endpoint, or an endpoint's join. */
  parse: (operation: string): { network: string } | { join: string } | { endpoint: string } | undefined => {
    if (operation.startsWith('net:')) return { network: operation.slice('net:'.length) };
    if (operation.startsWith('join:')) return { join: operation.slice('join:'.length) };
    if (operation.startsWith('ep:')) return { endpoint: operation.slice('ep:'.length) };
    return undefined;
  },
};

/**
 * The operation a driver call serves: a network's CreateNetwork and DeleteNetwork; an endpoint's
 * CreateEndpoint and DeleteEndpoint; an endpoint's Join, Leave and external connectivity. A component serves one call at a time, so each of its
 * netlink requests belongs to the call it is serving, whatever else the controller runs meanwhile.
 */
export function operationOfCall(method: string, args: readonly unknown[]): string | undefined {
  switch (method) {
    case 'createNetwork':
    case 'deleteNetwork':
      return linkOperation.network(args[0] as string);
    case 'createEndpoint':
    case 'deleteEndpoint':
      return linkOperation.endpoint(args[1] as string);
    case 'join':
    case 'leave':
    case 'programExternalConnectivity':
    case 'revokeExternalConnectivity':
      return linkOperation.join(args[1] as string);
    default:
      return undefined;
  }
}

/**
 * The sysctls a driver may set host-wide, and the one value it may set them to: the host decides
 * forwarding. A driver may ask for it on (its networks need it) but never turn it off for the
 * whole host, nor give it another value.
 */
const HOST_WIDE_SYSCTLS = new Set<Netlink.Sysctl>(['ip-forward', 'ipv6-forwarding']);
const HOST_WIDE_VALUE = '1';

/** A link operation the ownership registry checks: what, where, on which link (none: the namespace). */
type LinkUse = [LinkOp, Netlink.Netns, string | undefined];

/** What each netlink request does to which links. */
const LINK_USES: HostRules<'netlink', LinkUse[]> = {
  linkAdd: (ns, spec) => {
    const kind = spec.kind;
    // A macvlan may be created in a sandbox (the driver must be joining it), its parent where the request acts.
    const uses: LinkUse[] = [['create', createdIn(ns, spec), spec.name]];
    if (spec.master !== undefined) uses.push(['master', ns, spec.master]);
    if (kind.tag === 'veth') uses.push(['create', kind.val.netns, kind.val.name]);
    if (kind.tag === 'macvlan' || kind.tag === 'ipvlan') uses.push(['parent', ns, kind.val.parent]);
    if (kind.tag === 'vxlan' && kind.val.underlay !== undefined) uses.push(['parent', ns, kind.val.underlay]);
    return uses;
  },
  linkDel: (ns, name) => [['delete', ns, name]],
  linkSet: (ns, name, change) => {
    const uses: LinkUse[] = [['change', ns, name]];
    if (change.master?.tag === 'set') uses.push(['master', ns, change.master.val]);
    if (change.name !== undefined) uses.push(['create', ns, change.name]);
    return uses;
  },
  linkGet: (ns, name) => [['read', ns, name]],
  addrList: (ns, link) => [['read', ns, link]],
  linkList: (ns) => (ns.tag === 'sandbox' ? [['route', ns, undefined]] : []),
  addrAdd: (ns, address) => [['change', ns, address.link]],
  addrDel: (ns, address) => [['change', ns, address.link]],
  neighAdd: (ns, neighbour) => [['change', ns, neighbour.link]],
  neighDel: (ns, neighbour) => [['change', ns, neighbour.link]],
  fdbAdd: (ns, entry) => [['change', ns, entry.link]],
  fdbDel: (ns, entry) => [['change', ns, entry.link]],
  routeAdd: (ns, route) => [['route', ns, route.link]],
  routeDel: (ns, route) => [['route', ns, route.link]],
  sysctlSet: (ns, _key, link) => {
    if (link !== undefined) return [['change', ns, link]];
    return ns.tag === 'sandbox' ? [['route', ns, undefined]] : [];
  },
};

/** The namespace a new link (not a veth's peer) is created in. */
export function createdIn(ns: Netlink.Netns, spec: Netlink.LinkSpec): Netlink.Netns {
  return spec.kind.tag === 'macvlan' && spec.kind.val.netns !== undefined ? spec.kind.val.netns : ns;
}

/** What the check needs to know of the calling component. */
export interface NetlinkCaller {
  driver: string;
  /** The IPAM pools (CIDRs) of the networks the component's drivers created (CallRights.pools). */
  pools: readonly string[];
  /** How many links the component may own at once (link-limit.ts). */
  maxLinks: number;
}

/** Translates each netlink request into the link operations the ownership registry checks. */
export class LinkOwnership {
  constructor(readonly registry = new OwnershipRegistry()) {}

  /** Throws Forbidden unless the caller may make the request. */
  check(caller: NetlinkCaller, call: NetlinkCall): void {
    const { driver } = caller;
    for (const [linkOp, where, name] of applyHostCall<'netlink', LinkUse[]>(LINK_USES, call)) {
      try {
        this.registry.check(driver, linkOp, where, name);
      } catch (error) {
        throw new Forbidden((error as Error).message);
      }
    }
    if (call.op === 'linkAdd') {
      const adding = call.args[1].kind.tag === 'veth' ? 2 : 1;
      checkLinkLimit(driver, this.registry.linkCount(driver), adding, caller.maxLinks);
    }
    if (call.op === 'addrAdd' && call.args[0].tag === 'host') checkHostAddress(driver, call.args[1].cidr, caller.pools);
    if (call.op === 'routeAdd' && call.args[0].tag === 'host') checkHostRoute(driver, call.args[1], caller.pools);
    if (call.op === 'sysctlSet') {
      const [ns, key, link, value] = call.args;
      if (link === undefined && ns.tag === 'host' && !HOST_WIDE_SYSCTLS.has(key)) {
        throw new Forbidden(`driver ${driver} may not set sysctl ${key} host-wide`);
      }
      if (link === undefined && ns.tag === 'host' && value !== HOST_WIDE_VALUE) {
        throw new Forbidden(
          `driver ${driver} may only turn ${key} on host-wide (value "${HOST_WIDE_VALUE}"), not set it to ${excerpt(value)}`,
        );
      }
    }
  }

  /** Records what a successful request created, removed or renamed, for `operation` (see operationOfCall). */
  record(driver: string, call: NetlinkCall, operation?: string): void {
    if (call.op === 'linkAdd') {
      const [ns, spec] = call.args;
      const peer = spec.kind.tag === 'veth' ? [{ ns: spec.kind.val.netns, name: spec.kind.val.name }] : [];
      this.registry.recordLinks(driver, [{ ns: createdIn(ns, spec), name: spec.name }, ...peer], operation);
    } else if (call.op === 'linkDel') {
      this.registry.forgetLink(call.args[0], call.args[1]);
    } else if (call.op === 'linkSet') {
      const [ns, name, change] = call.args;
      if (change.name !== undefined) this.registry.renameLink(ns, name, change.name, operation);
    }
  }
}

/** The netlink import: ownership check, plumbing, then bookkeeping of what was created. */
export function guardedNetlink(
  ownership: LinkOwnership,
  backend: PlumbingBackend,
  caller: NetlinkCaller,
  call: NetlinkCall,
  operation?: string,
): unknown {
  ownership.check(caller, call);
  const { driver } = caller;
  const ns = call.args[0];
  const done = (value: unknown): unknown => {
    ownership.record(driver, call, operation);
    if (call.op === 'linkList')
      return (value as Netlink.LinkInfo[]).filter((link) => ownership.registry.owner(ns, link.name) === driver);
    return value;
  };
  try {
    const value = backend.netlink(call, operation);
    return value instanceof Promise
      ? value.then(done, (error: unknown) => {
          throw typed(error);
        })
      : done(value);
  } catch (error) {
    throw typed(error);
  }
}

const KINDS = new Set<string>([
  'invalid-parameter',
  'not-found',
  'forbidden',
  'no-service',
  'not-implemented',
  'internal',
  'retry',
]);

/** host/netlink's errors carry the WIT variant name in `code`: keep it for the guest. */
function typed(error: unknown): unknown {
  if (error instanceof DriverError || !(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && KINDS.has(code)
    ? fromWire({ kind: code as ErrorKind, message: error.message })
    : error;
}
