// The driver runtime's PlumbingBackend on host/netlink: a guest's `netlink` import, already
// allowed by the ownership check, carried out in this controller's host namespace (`hostNetns`)
// or in the sandbox whose key (namespace path) the driver was given.
import type * as Wit from '../generated/wit/network-driver/interfaces/wasmnet-driver-netlink.js';
import { createdIn, DriverError, type NetlinkCall, type PlumbingBackend } from '../drivers/index.js';
import { applyHostCall, type HostHandlers, type HostRules } from '../wit/host-imports.js';
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
  /** The index the kernel gave a link just created. */
  learnIndex(ns: Wit.Netns, name: string, index: number): void;
  /** The index a recorded link got at creation, if known. */
  createdIndex(ns: Wit.Netns, name: string): number | undefined;
  /** The name now belongs to another link: the row of the one the driver made goes. */
  forgetLink(ns: Wit.Netns, name: string): void;
}

export class NetlinkBackend implements PlumbingBackend {
  /** Deleting a link is slow in the kernel: deletions run on its threads, never on the main one. */
  readonly #deleter = new LinkDeleter();
  readonly indexes = new KnownIndexes();

  constructor(
    private readonly hostNetns?: string,
    private readonly journal?: LinkJournal,
  ) {}

  /** Every netlink function of the WIT, on this thread but linkDel (the deleter's threads). */
  readonly #handlers: HostHandlers<'netlink'> = {
    linkAdd: (ns, spec) => this.#linkAdd(this.#rtnl(ns), ns, spec),
    linkDel: (ns, name) =>
      this.#deleter.delete(this.#path(ns), name).catch((error: unknown) => {
        throw typed(error);
      }),
    linkSet: (ns, name, change) => this.#rtnl(ns).linkSet(name, change),
    linkGet: (ns, name) => witLink(this.#rtnl(ns).linkGet(name)),
    linkList: (ns) => this.#rtnl(ns).linkList().map(witLink),
    addrAdd: (ns, address) => this.#rtnl(ns).addrAdd(address),
    addrDel: (ns, address) => this.#rtnl(ns).addrDel(address),
    addrList: (ns, link) =>
      this.#rtnl(ns)
        .addrList(link)
        .map((address) => address.cidr),
    routeAdd: (ns, route) => this.#rtnl(ns).routeAdd(route),
    routeDel: (ns, route) => this.#rtnl(ns).routeDel(route),
    neighAdd: (ns, neighbour) => this.#rtnl(ns).neighAdd(neighbour),
    neighDel: (ns, neighbour) => this.#rtnl(ns).neighDel(neighbour),
    fdbAdd: (ns, entry) => this.#rtnl(ns).fdbAdd(entry),
    fdbDel: (ns, entry) => this.#rtnl(ns).fdbDel(entry),
    sysctlSet: (ns, key, link, value) => sysctlSet(this.#netns(ns), key, link, value),
  };

  netlink(call: NetlinkCall, operation?: string): unknown {
    const ns = call.args[0];
    try {
      for (const link of applyHostCall<'netlink', Array<string | undefined>>(NAMED_LINKS, call))
        if (link !== undefined) this.#checkSameLink(ns, link, call.op === 'linkDel');
    } catch (error) {
      throw typed(error);
    }
    const created = call.op === 'linkAdd' ? newLinks(ns, call.args[1]) : [];
    if (created.length > 0) {
      this.journal?.intend(
        created.map(([where, name], i) => {
          const peer = created[1 - i];
          return peer === undefined ? { ns: where, name } : { ns: where, name, peer: { ns: peer[0], name: peer[1] } };
        }),
        operation,
      );
    }
    if (call.op === 'linkDel') this.indexes.forget(ns, call.args[1]);
    if (call.op === 'linkSet' && call.args[2].name !== undefined) this.indexes.forget(ns, call.args[1]);
    try {
      return applyHostCall<'netlink', unknown>(this.#handlers, call);
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

  #rtnl(ns: Wit.Netns): Rtnl {
    return new Rtnl(this.#netns(ns));
  }

  /**
   * Ownership follows the link, not its name: a link deleted behind the host's back whose name
   * another link took is not the driver's to change or delete: the request answers not-found
   * (the link the driver made is gone). A delete (`forget`) also forgets its row, so the
   * driver's DeleteNetwork, or the host's sweep, ends cleanly.
   */
  #checkSameLink(ns: Wit.Netns, name: string, forget: boolean): void {
    const created = this.journal?.createdIndex(ns, name);
    if (created === undefined) return;
    let now: number | undefined;
    try {
      now = this.#rtnl(ns).linkGet(name).index;
    } catch (error) {
      if (!(error instanceof NetlinkError && error.errnoName === 'ENODEV')) throw error;
    }
    if (now === created) return;
    if (forget) this.journal?.forgetLink(ns, name);
    throw new DriverError(
      'not-found',
      now === undefined
        ? `link ${name} is gone`
        : `link ${name} is gone: the name now belongs to another link (index ${now}, not ${created})`,
    );
  }

  /** Creates a link, under a master whose index is known when it can, and learns the indexes. */
  #linkAdd(rtnl: Rtnl, ns: Wit.Netns, spec: Wit.LinkSpec): number {
    const local = this.#spec(spec);
    const master = spec.master;
    // The master a driver made is the index it got; only a master of unknown index goes by name.
    const madeMaster = master === undefined ? undefined : this.journal?.createdIndex(ns, master);
    const knownMaster = madeMaster ?? (master === undefined ? undefined : this.indexes.master(ns, master));
    let created;
    try {
      created = rtnl.linkAdd(local, knownMaster);
    } catch (error) {
      // A master deleted or re-made behind the backend's back: the kernel refuses its old index.
      if (master === undefined || !(error instanceof NetlinkError) || !['EINVAL', 'ENODEV'].includes(error.errnoName))
        throw error;
      this.indexes.forget(ns, master);
      if (madeMaster !== undefined)
        throw new DriverError('not-found', `link ${master} is gone: its index ${madeMaster} no longer exists`);
      created = rtnl.linkAdd(local);
    }
    if (spec.master !== undefined && created.masterIndex !== undefined)
      this.indexes.learnMaster(ns, spec.master, created.masterIndex);
    const where = createdIn(ns, spec);
    this.journal?.learnIndex(where, spec.name, created.index);
    // A link made in a sandbox is the interface the controller configures next: it claims the index.
    if (where.tag === 'sandbox') this.indexes.learnPeer(where, spec.name, created.index);
    if (spec.kind.tag === 'veth' && created.linkIndex !== undefined) {
      this.indexes.learnPeer(spec.kind.val.netns, spec.kind.val.name, created.linkIndex);
      this.journal?.learnIndex(spec.kind.val.netns, spec.kind.val.name, created.linkIndex);
    }
    return created.index;
  }

  /**
   * A veth peer's or a macvlan's namespace becomes a handle; everything else is the same shape. A bridge gets
   * multicast snooping off (no WIT field asks for it yet): with it on, each new port costs more
   * as the bridge grows (host/netlink's README), and multicast is flooded instead, as on a hub.
   */
  #spec(spec: Wit.LinkSpec): LinkSpec {
    const { kind, ...rest } = spec;
    if (kind.tag === 'bridge') return { ...rest, kind, bridge: { mcastSnooping: false } } as LinkSpec;
    if (kind.tag === 'macvlan') {
      const { netns, ...config } = kind.val;
      const val = netns === undefined ? config : { ...config, netns: this.#netns(netns) };
      return { ...rest, kind: { tag: 'macvlan', val } } as LinkSpec;
    }
    if (kind.tag !== 'veth') return { ...rest, kind } as LinkSpec;
    const { netns, ...peer } = kind.val;
    return { ...rest, kind: { tag: 'veth', val: { ...peer, netns: this.#netns(netns) } } } as LinkSpec;
  }
}

/**
 * The existing links a request acts on by name (a new link's name is checked as free instead,
 * and a new link's master goes by its index in #linkAdd).
 */
const NAMED_LINKS: HostRules<'netlink', Array<string | undefined>> = {
  linkAdd: () => [],
  linkDel: (_ns, name) => [name],
  linkSet: (_ns, name, change) => [name, change.master?.tag === 'set' ? change.master.val : undefined],
  linkGet: (_ns, name) => [name],
  linkList: () => [],
  addrAdd: (_ns, address) => [address.link],
  addrDel: (_ns, address) => [address.link],
  addrList: (_ns, link) => [link],
  routeAdd: (_ns, route) => [route.link],
  routeDel: (_ns, route) => [route.link],
  neighAdd: (_ns, neighbour) => [neighbour.link],
  neighDel: (_ns, neighbour) => [neighbour.link],
  fdbAdd: (_ns, entry) => [entry.link],
  fdbDel: (_ns, entry) => [entry.link],
  sysctlSet: (_ns, _key, link) => [link],
};

function newLinks(ns: Wit.Netns, spec: Wit.LinkSpec): Array<[Wit.Netns, string]> {
  return spec.kind.tag === 'veth'
    ? [
        [ns, spec.name],
        [spec.kind.val.netns, spec.kind.val.name],
      ]
    : [[createdIn(ns, spec), spec.name]];
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
