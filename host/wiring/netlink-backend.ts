// The driver runtime's PlumbingBackend on host/netlink: a guest's `netlink` import, already
// allowed by the ownership check, carried out in this controller's host namespace (`hostNetns`)
// or in the sandbox whose key (namespace path) the driver was given.
import type * as Wit from '../generated/wit/network-driver/interfaces/wasmnet-driver-netlink.js';
import { DriverError, type NetlinkOp, type PlumbingBackend } from '../drivers/index.js';
import { NetlinkError, openNetns, Rtnl, selfNetns, sysctlSet, type LinkSpec, type Netns } from '../netlink/index.js';
import { LinkDeleter } from '../sandbox/index.js';
import { KnownIndexes } from './known-indexes.js';
import { PROCESS_NETNS } from './netns-plumbing.js';

/** Records the links about to be created before the kernel is asked (see PersistentOwnershipRegistry). */
export interface LinkJournal {
  /** The links one request of `operation` is about to create (a veth's ends name each other as `peer`), in one write. */
  intend(
    links: ReadonlyArray<{ ns: Wit.Netns; name: string; peer?: { ns: Wit.Netns; name: string } }>,
    operation: string | undefined,
  ): void;
  abandon(ns: Wit.Netns, name: string): void;
}

export class NetlinkBackend implements PlumbingBackend {
  /** Link deletions (~28 ms each in the kernel) run on its threads, never on the main one. */
  readonly #deleter = new LinkDeleter();
  readonly indexes = new KnownIndexes();

  constructor(
    private readonly hostNetns?: string,
    private readonly journal?: LinkJournal,
  ) {}

  netlink(op: NetlinkOp, ns: Wit.Netns, args: unknown[], operation?: string): unknown {
    const created = op === 'linkAdd' ? newLinks(ns, args[0] as Wit.LinkSpec) : [];
    if (created.length > 0) {
      this.journal?.intend(
        created.map(([where, name], i) => {
          const peer = created[1 - i];
          return peer === undefined ? { ns: where, name } : { ns: where, name, peer: { ns: peer[0], name: peer[1] } };
        }),
        operation,
      );
    }
    if (op === 'linkDel') this.indexes.forget(ns, args[0] as string);
    if (op === 'linkSet' && (args[1] as Wit.LinkChange).name !== undefined) this.indexes.forget(ns, args[0] as string);
    try {
      if (op === 'linkDel')
        return this.#deleter.delete(this.#path(ns), args[0] as string).catch((error: unknown) => {
          throw typed(error);
        });
      return this.#run(op, ns, args);
    } catch (error) {
      for (const [where, name] of created) this.journal?.abandon(where, name);
      throw typed(error);
    }
  }

  close(): Promise<void> {
    return this.#deleter.close();
  }

  /** The namespace's file for the deleter's threads (null: the process's own). */
  #path(ns: Wit.Netns): string | null {
    if (ns.tag === 'sandbox') return ns.val === PROCESS_NETNS ? null : ns.val;
    return this.hostNetns ?? null;
  }

  #netns(ns: Wit.Netns): Netns {
    if (ns.tag === 'sandbox') return ns.val === PROCESS_NETNS ? selfNetns() : openNetns(ns.val);
    return this.hostNetns === undefined ? selfNetns() : openNetns(this.hostNetns);
  }

  /** Every request but linkDel (the deleter's), on this thread. */
  #run(op: NetlinkOp, ns: Wit.Netns, args: unknown[]): unknown {
    const netns = this.#netns(ns);
    const rtnl = new Rtnl(netns);
    switch (op) {
      case 'linkAdd':
        return this.#linkAdd(rtnl, ns, args[0] as Wit.LinkSpec);
      case 'linkSet':
        return rtnl.linkSet(args[0] as string, args[1] as Wit.LinkChange);
      case 'linkGet':
        return witLink(rtnl.linkGet(args[0] as string));
      case 'linkList':
        return rtnl.linkList().map(witLink);
      case 'addrAdd':
        return rtnl.addrAdd(args[0] as Wit.Address);
      case 'addrDel':
        return rtnl.addrDel(args[0] as Wit.Address);
      case 'addrList':
        return rtnl.addrList(args[0] as string).map((address) => address.cidr);
      case 'routeAdd':
        return rtnl.routeAdd(args[0] as Wit.Route);
      case 'routeDel':
        return rtnl.routeDel(args[0] as Wit.Route);
      case 'neighAdd':
        return rtnl.neighAdd(args[0] as Wit.Neighbour);
      case 'neighDel':
        return rtnl.neighDel(args[0] as Wit.Neighbour);
      case 'fdbAdd':
        return rtnl.fdbAdd(args[0] as Wit.FdbEntry);
      case 'fdbDel':
        return rtnl.fdbDel(args[0] as Wit.FdbEntry);
      case 'sysctlSet':
        return sysctlSet(netns, args[0] as Wit.Sysctl, args[1] as string | undefined, args[2] as string);
    }
  }

  /** Creates a link, under a master whose index is known when it can, and learns the indexes. */
  #linkAdd(rtnl: Rtnl, ns: Wit.Netns, spec: Wit.LinkSpec): number {
    const local = this.#spec(spec);
    const knownMaster = spec.master === undefined ? undefined : this.indexes.master(ns, spec.master);
    let created;
    try {
      created = rtnl.linkAdd(local, knownMaster);
    } catch (error) {
      // A master deleted or re-made behind the backend's back: the kernel refuses its old index.
      if (
        knownMaster === undefined ||
        !(error instanceof NetlinkError) ||
        !['EINVAL', 'ENODEV'].includes(error.errnoName)
      )
        throw error;
      this.indexes.forget(ns, spec.master as string);
      created = rtnl.linkAdd(local);
    }
    if (spec.master !== undefined && created.masterIndex !== undefined)
      this.indexes.learnMaster(ns, spec.master, created.masterIndex);
    if (spec.kind.tag === 'veth' && created.linkIndex !== undefined)
      this.indexes.learnPeer(spec.kind.val.netns, spec.kind.val.name, created.linkIndex);
    return created.index;
  }

  /**
   * A veth peer's namespace becomes a handle; everything else is the same shape. A bridge gets
   * multicast snooping off (no WIT field asks for it yet): with it on, each new port costs more
   * as the bridge grows (host/netlink's README), and multicast is flooded instead, as on a hub.
   */
  #spec(spec: Wit.LinkSpec): LinkSpec {
    const { kind, ...rest } = spec;
    if (kind.tag === 'bridge') return { ...rest, kind, bridge: { mcastSnooping: false } } as LinkSpec;
    if (kind.tag !== 'veth') return { ...rest, kind } as LinkSpec;
    const { netns, ...peer } = kind.val;
    return { ...rest, kind: { tag: 'veth', val: { ...peer, netns: this.#netns(netns) } } } as LinkSpec;
  }
}

function newLinks(ns: Wit.Netns, spec: Wit.LinkSpec): Array<[Wit.Netns, string]> {
  return spec.kind.tag === 'veth'
    ? [
        [ns, spec.name],
        [spec.kind.val.netns, spec.kind.val.name],
      ]
    : [[ns, spec.name]];
}

/** host/netlink's errors carry the WIT error kind in `code`: the guest gets it as a DriverError. */
function typed(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && code in KINDS
    ? new DriverError(code as DriverError['kind'], error.message)
    : error;
}

const KINDS = {
  'invalid-parameter': 1,
  'not-found': 1,
  forbidden: 1,
  'no-service': 1,
  'not-implemented': 1,
  internal: 1,
  retry: 1,
};

function witLink(link: {
  index: number;
  name: string;
  kind: string;
  mtu: number;
  mac?: string;
  up: boolean;
  master?: string;
}): Wit.LinkInfo {
  return {
    index: link.index,
    name: link.name,
    kind: link.kind,
    mtu: link.mtu,
    up: link.up,
    ...(link.mac === undefined ? {} : { mac: link.mac }),
    ...(link.master === undefined ? {} : { master: link.master }),
  };
}
