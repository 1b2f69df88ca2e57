// The guest's `netlink` import: every request goes through the ownership check (host/netlink's
// OwnershipRegistry), then to the plumbing backend, and what it created or removed is recorded.
import type * as Netlink from '../generated/wit/network-driver/interfaces/wasmnet-driver-netlink.js';
import { OwnershipRegistry, type LinkOp } from '../netlink/ownership.js';
import { DriverError, Forbidden, fromWire, InvalidParameter, type ErrorKind } from './errors.js';

export type NetlinkOp =
  | 'linkAdd'
  | 'linkDel'
  | 'linkSet'
  | 'linkGet'
  | 'linkList'
  | 'addrAdd'
  | 'addrDel'
  | 'addrList'
  | 'routeAdd'
  | 'routeDel'
  | 'neighAdd'
  | 'neighDel'
  | 'fdbAdd'
  | 'fdbDel'
  | 'sysctlSet';

/**
 * Carries out a netlink request already allowed by the ownership check (host/netlink +
 * host/sandbox). `operation`: the controller operation the driver is serving (operationOfCall).
 */
export interface PlumbingBackend {
  netlink(op: NetlinkOp, ns: Netlink.Netns, args: unknown[], operation?: string): unknown;
}

/**
 * The controller operations links are tagged with: the controller removes what an operation's
 * links a crash cut short, or a Leave left, by this tag.
 */
export const linkOperation = {
  network: (networkId: string): string => `net:${networkId}`,
  join: (endpointId: string): string => `join:${endpointId}`,
  /** What a tag names: a network, or an endpoint's join. */
  parse: (operation: string): { network: string } | { join: string } | undefined => {
    if (operation.startsWith('net:')) return { network: operation.slice('net:'.length) };
    if (operation.startsWith('join:')) return { join: operation.slice('join:'.length) };
    return undefined;
  },
};

/**
 * The operation a driver call serves: a network's CreateNetwork and DeleteNetwork; an endpoint's
 * Join, Leave and external connectivity. A component serves one call at a time, so each of its
 * netlink requests belongs to the call it is serving, whatever else the controller runs meanwhile.
 */
export function operationOfCall(method: string, args: readonly unknown[]): string | undefined {
  switch (method) {
    case 'createNetwork':
    case 'deleteNetwork':
      return linkOperation.network(args[0] as string);
    case 'join':
    case 'leave':
    case 'programExternalConnectivity':
    case 'revokeExternalConnectivity':
      return linkOperation.join(args[1] as string);
    default:
      return undefined;
  }
}

const HOST_WIDE_SYSCTLS = new Set<Netlink.Sysctl>(['ip-forward', 'ipv6-forwarding']);

/** Translates each netlink request into the link operations the ownership registry checks. */
export class LinkOwnership {
  constructor(readonly registry = new OwnershipRegistry()) {}

  /** Throws Forbidden unless `driver` may make the request. */
  check(driver: string, op: NetlinkOp, ns: Netlink.Netns, args: unknown[]): void {
    for (const [linkOp, where, name] of this.#uses(op, ns, args)) {
      try {
        this.registry.check(driver, linkOp, where, name);
      } catch (error) {
        throw new Forbidden((error as Error).message);
      }
    }
    if (
      op === 'sysctlSet' &&
      args[1] === undefined &&
      ns.tag === 'host' &&
      !HOST_WIDE_SYSCTLS.has(args[0] as Netlink.Sysctl)
    ) {
      throw new Forbidden(`driver ${driver} may not set sysctl ${String(args[0])} host-wide`);
    }
  }

  /** Records what a successful request created, removed or renamed, for `operation` (see operationOfCall). */
  record(driver: string, op: NetlinkOp, ns: Netlink.Netns, args: unknown[], operation?: string): void {
    if (op === 'linkAdd') {
      const spec = args[0] as Netlink.LinkSpec;
      this.registry.recordLinks(
        driver,
        spec.kind.tag === 'veth'
          ? [
              { ns, name: spec.name },
              { ns: spec.kind.val.netns, name: spec.kind.val.name },
            ]
          : [{ ns, name: spec.name }],
        operation,
      );
    } else if (op === 'linkDel') {
      this.registry.forgetLink(ns, args[0] as string);
    } else if (op === 'linkSet') {
      const rename = (args[1] as Netlink.LinkChange).name;
      if (rename !== undefined) this.registry.renameLink(ns, args[0] as string, rename, operation);
    }
  }

  #uses(op: NetlinkOp, ns: Netlink.Netns, args: unknown[]): Array<[LinkOp, Netlink.Netns, string | undefined]> {
    switch (op) {
      case 'linkAdd': {
        const spec = args[0] as Netlink.LinkSpec;
        const uses: Array<[LinkOp, Netlink.Netns, string | undefined]> = [['create', ns, spec.name]];
        if (spec.master !== undefined) uses.push(['master', ns, spec.master]);
        const kind = spec.kind;
        if (kind.tag === 'veth') uses.push(['create', kind.val.netns, kind.val.name]);
        if (kind.tag === 'macvlan' || kind.tag === 'ipvlan') uses.push(['parent', ns, kind.val.parent]);
        if (kind.tag === 'vxlan' && kind.val.underlay !== undefined) uses.push(['parent', ns, kind.val.underlay]);
        return uses;
      }
      case 'linkDel':
        return [['delete', ns, args[0] as string]];
      case 'linkSet': {
        const change = args[1] as Netlink.LinkChange;
        const uses: Array<[LinkOp, Netlink.Netns, string | undefined]> = [['change', ns, args[0] as string]];
        if (change.master?.tag === 'set') uses.push(['master', ns, change.master.val]);
        if (change.name !== undefined) uses.push(['create', ns, change.name]);
        return uses;
      }
      case 'linkGet':
      case 'addrList':
        return [['read', ns, args[0] as string]];
      case 'linkList':
        return ns.tag === 'sandbox' ? [['route', ns, undefined]] : [];
      case 'addrAdd':
      case 'addrDel':
      case 'neighAdd':
      case 'neighDel':
      case 'fdbAdd':
      case 'fdbDel':
        return [['change', ns, (args[0] as { link: string }).link]];
      case 'routeAdd':
      case 'routeDel':
        return [['route', ns, (args[0] as Netlink.Route).link]];
      case 'sysctlSet': {
        const link = args[1] as string | undefined;
        if (link !== undefined) return [['change', ns, link]];
        return ns.tag === 'sandbox' ? [['route', ns, undefined]] : [];
      }
      default:
        throw new InvalidParameter(`unknown netlink request ${String(op)}`);
    }
  }
}

/** The netlink import: ownership check, plumbing, then bookkeeping of what was created. */
export function guardedNetlink(
  ownership: LinkOwnership,
  backend: PlumbingBackend,
  driver: string,
  op: NetlinkOp,
  ns: Netlink.Netns,
  args: unknown[],
  operation?: string,
): unknown {
  ownership.check(driver, op, ns, args);
  const done = (value: unknown): unknown => {
    ownership.record(driver, op, ns, args, operation);
    if (op === 'linkList')
      return (value as Netlink.LinkInfo[]).filter((link) => ownership.registry.owner(ns, link.name) === driver);
    return value;
  };
  try {
    const value = backend.netlink(op, ns, args, operation);
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
