// The guest's `netlink` import: every request goes through the ownership check, then to the
// plumbing backend. Until host/netlink lands, PlumbingBackend is the seam (tests use a fake).
import type * as Netlink from '../generated/wit/network-driver/interfaces/wasmnet-driver-netlink.js';
import { Forbidden, InvalidParameter } from './errors.js';

export type NetlinkOp = 'linkAdd' | 'linkDel' | 'linkSet' | 'linkGet' | 'linkList' | 'addrAdd' | 'addrDel' | 'addrList'
  | 'routeAdd' | 'routeDel' | 'neighAdd' | 'neighDel' | 'fdbAdd' | 'fdbDel' | 'sysctlSet';

/** Carries out a netlink request already allowed by the ownership check. */
export interface PlumbingBackend {
  netlink(op: NetlinkOp, ns: Netlink.Netns, args: unknown[]): unknown;
}

/** What the driver may touch during the current call. */
export interface CallScope {
  owner: string;
  /** Sandbox keys the driver is joining or leaving in this call. */
  sandboxes: ReadonlySet<string>;
  /** Parent links the current network's options name (macvlan, ipvlan). */
  parents: ReadonlySet<string>;
}

const HOST_WIDE_SYSCTLS = new Set<Netlink.Sysctl>(['ip-forward', 'ipv6-forwarding']);

/** Which driver created which link, per namespace ("" is the host's). */
export class LinkOwnership {
  readonly #owners = new Map<string, string>();

  ownerOf(ns: Netlink.Netns, name: string): string | undefined {
    return this.#owners.get(key(ns, name));
  }

  /** The links `owner` created in `ns`. */
  linksOf(owner: string, ns: Netlink.Netns): string[] {
    const prefix = key(ns, '');
    return [...this.#owners].filter(([k, who]) => who === owner && k.startsWith(prefix)).map(([k]) => k.slice(prefix.length));
  }

  /** A sandbox was deleted: its links went with it. */
  forgetSandbox(sandboxKey: string): void {
    const prefix = key({ tag: 'sandbox', val: sandboxKey }, '');
    for (const k of [...this.#owners.keys()]) if (k.startsWith(prefix)) this.#owners.delete(k);
  }

  /** Throws Forbidden unless the request is within the driver's rights. */
  check(scope: CallScope, op: NetlinkOp, ns: Netlink.Netns, args: unknown[]): void {
    this.#checkNamespace(scope, ns);
    switch (op) {
      case 'linkAdd': {
        const spec = args[0] as Netlink.LinkSpec;
        if (this.ownerOf(ns, spec.name) !== undefined) throw new Forbidden(`link ${spec.name} already exists in ${describe(ns)}`);
        if (spec.master !== undefined) this.#mustOwn(scope, ns, spec.master);
        const kind = spec.kind;
        if (kind.tag === 'veth') {
          this.#checkNamespace(scope, kind.val.netns);
          if (this.ownerOf(kind.val.netns, kind.val.name) !== undefined) throw new Forbidden(`link ${kind.val.name} already exists in ${describe(kind.val.netns)}`);
        }
        if ((kind.tag === 'macvlan' || kind.tag === 'ipvlan') && !scope.parents.has(kind.val.parent)) {
          throw new Forbidden(`parent link ${kind.val.parent} is not named by the network's options`);
        }
        return;
      }
      case 'linkDel':
        this.#mustOwn(scope, ns, args[0] as string);
        return;
      case 'linkSet': {
        this.#mustOwn(scope, ns, args[0] as string);
        const change = args[1] as Netlink.LinkChange;
        if (change.master?.tag === 'set') this.#mustOwn(scope, ns, change.master.val);
        if (change.name !== undefined && this.ownerOf(ns, change.name) !== undefined) throw new Forbidden(`link ${change.name} already exists in ${describe(ns)}`);
        return;
      }
      case 'linkGet':
      case 'linkList':
        return;
      case 'addrAdd':
      case 'addrDel':
        this.#mustOwn(scope, ns, (args[0] as Netlink.Address).link);
        return;
      case 'addrList':
        this.#mustOwn(scope, ns, args[0] as string);
        return;
      case 'routeAdd':
      case 'routeDel': {
        const route = args[0] as Netlink.Route;
        if (route.link !== undefined) this.#mustOwn(scope, ns, route.link);
        else if (ns.tag === 'host') throw new Forbidden('a host route must name a link the driver owns');
        return;
      }
      case 'neighAdd':
      case 'neighDel':
      case 'fdbAdd':
      case 'fdbDel':
        this.#mustOwn(scope, ns, (args[0] as { link: string }).link);
        return;
      case 'sysctlSet': {
        const [sysctl, link] = args as [Netlink.Sysctl, string | undefined];
        if (link !== undefined) this.#mustOwn(scope, ns, link);
        else if (ns.tag === 'host' && !HOST_WIDE_SYSCTLS.has(sysctl)) throw new Forbidden(`sysctl ${sysctl} may not be set host-wide`);
        return;
      }
      default:
        throw new InvalidParameter(`unknown netlink request ${String(op)}`);
    }
  }

  /** Records what a successful request created, removed or renamed. */
  record(scope: CallScope, op: NetlinkOp, ns: Netlink.Netns, args: unknown[]): void {
    if (op === 'linkAdd') {
      const spec = args[0] as Netlink.LinkSpec;
      this.#owners.set(key(ns, spec.name), scope.owner);
      if (spec.kind.tag === 'veth') this.#owners.set(key(spec.kind.val.netns, spec.kind.val.name), scope.owner);
    } else if (op === 'linkDel') {
      this.#owners.delete(key(ns, args[0] as string));
    } else if (op === 'linkSet') {
      const rename = (args[1] as Netlink.LinkChange).name;
      if (rename !== undefined) {
        this.#owners.delete(key(ns, args[0] as string));
        this.#owners.set(key(ns, rename), scope.owner);
      }
    }
  }

  #checkNamespace(scope: CallScope, ns: Netlink.Netns): void {
    if (ns.tag === 'sandbox' && !scope.sandboxes.has(ns.val)) {
      throw new Forbidden(`sandbox ${ns.val} is not being joined by this driver`);
    }
  }

  #mustOwn(scope: CallScope, ns: Netlink.Netns, name: string): void {
    const owner = this.ownerOf(ns, name);
    if (owner !== scope.owner) {
      throw new Forbidden(owner === undefined
        ? `link ${name} in ${describe(ns)} was not created by ${scope.owner}`
        : `link ${name} in ${describe(ns)} belongs to ${owner}`);
    }
  }
}

function key(ns: Netlink.Netns, name: string): string {
  return `${ns.tag === 'host' ? '' : ns.val}\u0000${name}`;
}

function describe(ns: Netlink.Netns): string {
  return ns.tag === 'host' ? 'the host namespace' : `sandbox ${ns.val}`;
}

/** The netlink import: ownership check, plumbing, then bookkeeping of what was created. */
export function guardedNetlink(ownership: LinkOwnership, backend: PlumbingBackend, scope: CallScope, op: NetlinkOp, ns: Netlink.Netns, args: unknown[]): unknown {
  ownership.check(scope, op, ns, args);
  const done = (value: unknown): unknown => {
    ownership.record(scope, op, ns, args);
    if (op === 'linkList') return (value as Netlink.LinkInfo[]).filter((link) => ownership.ownerOf(ns, link.name) === scope.owner);
    return value;
  };
  const value = backend.netlink(op, ns, args);
  return value instanceof Promise ? value.then(done) : done(value);
}
