// The typed rtnetlink client of one namespace. Every method validates its input before
// anything reaches the kernel, and names the namespace in its errors.
import * as C from './constants.js';
import { decodeAddress, decodeLink, decodeNeighbour, decodeRoute, type NeighbourInfo } from './decode.js';
import { NetlinkError } from './errors.js';
import type { Netns } from './netns.js';
import * as R from './requests.js';
import type { Rollback } from './rollback.js';
import type { Reply, Request } from './socket.js';
import type {
  Address,
  AddressInfo,
  FdbEntry,
  LinkChange,
  LinkInfo,
  LinkSpec,
  Neighbour,
  Route,
  RouteInfo,
} from './types.js';
import { checkLinkName, parseCidr, parseIp, parseMac } from './validate.js';

const ENODEV = 19;

export class Rtnl {
  constructor(readonly netns: Netns) {}

  /** Several requests in one send; see Batch. */
  batch(): Batch {
    return new Batch(this);
  }

  /** @internal */
  send(requests: readonly Request[]): ReturnType<ReturnType<Netns['socket']>['transact']> {
    return this.netns.socket().transact(requests);
  }

  private run(request: Request): Reply[] {
    return this.netns.socket().one(request);
  }

  /** The index of a link, by name (ENODEV when missing). */
  index(name: string): number {
    return this.linkGet(name).index;
  }

  linkGet(link: string | number): LinkInfo {
    const request = typeof link === 'number' ? R.getLinkByIndex(link) : R.getLinkByName(checkLinkName(link));
    const reply = this.run(request).find((message) => message.type === C.RTM_NEWLINK);
    if (!reply) throw new NetlinkError(ENODEV, request.what, this.netns.label, 'no reply');
    const info = decodeLink(reply.payload);
    if (info.masterIndex !== undefined) info.master = this.linkGet(info.masterIndex).name;
    return info;
  }

  linkList(): LinkInfo[] {
    const links = this.run(R.dump(C.RTM_GETLINK))
      .filter((m) => m.type === C.RTM_NEWLINK)
      .map((m) => decodeLink(m.payload));
    const names = new Map(links.map((link) => [link.index, link.name]));
    for (const link of links) if (link.masterIndex !== undefined) link.master = names.get(link.masterIndex);
    return links;
  }

  /** Creates a link; a veth's peer, or a macvlan, is created directly in `kind.val.netns` (no move).
   * One send: create (up when asked), and read back when the kernel cannot echo; a veth
   * whose peer goes elsewhere is read back down, then set up (see below).
   * Returns the new link (a veth's `linkIndex` is its peer's index, in the peer's namespace).
   * `masterIndex`: the index of `spec.master` when the caller knows it (saves a lookup). */
  linkAdd(spec: LinkSpec, masterIndex?: number): LinkInfo {
    const refs = this.linkRefs(spec, masterIndex);
    // A veth end that is up while its peer is down has no carrier, and reading it back makes the
    // kernel's link watch deactivate it at once, which waits for an RCU grace period. Created
    // down, read back, then set up, it is never deactivated (its carrier comes with its peer).
    const upAfterReadBack = spec.up === true && refs.peerNetnsFd !== undefined;
    const created = R.newLink(upAfterReadBack ? { ...spec, up: false } : spec, refs);
    const requests = [created];
    const echoed = (created.flags & C.NLM_F_ECHO) !== 0;
    // A link created in another namespace is read back there, by a socket of that namespace.
    const elsewhere = spec.kind.tag === 'macvlan' ? spec.kind.val.netns : undefined;
    if (elsewhere !== undefined) {
      const outcome = this.send(requests)[0];
      if (outcome !== undefined && !outcome.ok) throw outcome.error;
      return new Rtnl(elsewhere).linkGet(spec.name);
    }
    if (!echoed) requests.push(R.getLinkByName(spec.name));
    if (upAfterReadBack) requests.push(R.upLinkByName(spec.name));
    const outcomes = this.send(requests);
    const failed = outcomes.find((outcome) => !outcome.ok);
    if (failed && !failed.ok) {
      if (outcomes[0]?.ok) this.send([R.delLinkByName(spec.name)]);
      throw failed.error;
    }
    // An echo may hold a same-namespace veth peer too: pick the link by name. Links created
    // down are not always echoed: then ask.
    const info =
      outcomes
        .flatMap((outcome) => (outcome.ok ? outcome.replies : []))
        .filter((message) => message.type === C.RTM_NEWLINK)
        .map((message) => decodeLink(message.payload))
        .find((link) => link.name === spec.name) ?? this.linkGet(spec.name);
    if (spec.master !== undefined) info.master = spec.master;
    if (upAfterReadBack) info.up = true;
    return info;
  }

  /** Checks a spec and resolves the links and namespace it names (they must exist). */
  linkRefs(spec: LinkSpec, masterIndex?: number): R.LinkRefs {
    R.checkLinkSpec(spec);
    const refs: R.LinkRefs = {};
    if (spec.master !== undefined) refs.master = masterIndex ?? this.index(spec.master);
    const kind = spec.kind;
    if (kind.tag === 'macvlan' || kind.tag === 'ipvlan') refs.lower = this.index(kind.val.parent);
    if (kind.tag === 'vxlan' && kind.val.underlay !== undefined) refs.lower = this.index(kind.val.underlay);
    if (kind.tag === 'veth' && kind.val.netns !== undefined) refs.peerNetnsFd = kind.val.netns.fd;
    if (kind.tag === 'macvlan' && kind.val.netns !== undefined) refs.netnsFd = kind.val.netns.fd;
    return refs;
  }

  /** Deletes a link (slow in the kernel: host/sandbox's LinkDeleter does it off the main thread). */
  linkDel(name: string): void {
    this.run(R.delLinkByName(checkLinkName(name)));
  }

  linkSet(name: string, change: LinkChange): void {
    R.checkLinkChange(change);
    this.run(R.setLink(this.index(checkLinkName(name)), name, change, this.masterIndex(change)));
  }

  /** The IFLA_MASTER a change asks for: the master's index, 0 to release, undefined to keep. */
  masterIndex(change: LinkChange): number | undefined {
    if (change.master === undefined) return undefined;
    return change.master.tag === 'set' ? this.index(change.master.val) : 0;
  }

  /** Moves a link into another namespace, optionally renamed (serialized in the kernel: create in place instead). */
  linkMove(name: string, to: Netns, newName?: string): void {
    const change: LinkChange = newName === undefined ? {} : { name: checkLinkName(newName) };
    const index = this.index(checkLinkName(name));
    this.run(R.setLink(index, name, change, undefined, to.fd));
  }

  addrAdd(address: Address): void {
    parseCidr(address.cidr);
    this.run(R.address(true, this.index(checkLinkName(address.link)), address.cidr, address.nodad, address.link));
  }

  addrDel(address: Address): void {
    parseCidr(address.cidr);
    this.run(R.address(false, this.index(checkLinkName(address.link)), address.cidr, false, address.link));
  }

  /** Addresses, of one link when named. */
  addrList(link?: string): AddressInfo[] {
    const index = link === undefined ? undefined : this.index(checkLinkName(link));
    return this.run(R.dump(C.RTM_GETADDR))
      .filter((m) => m.type === C.RTM_NEWADDR)
      .map((m) => decodeAddress(m.payload))
      .filter((address) => index === undefined || address.index === index);
  }

  routeAdd(route: Route): void {
    this.run(this.routeRequest(true, route));
  }

  routeDel(route: Route): void {
    this.run(this.routeRequest(false, route));
  }

  /** Routes of the main table (both families unless one is given). */
  routeList(family: number = C.AF_UNSPEC): RouteInfo[] {
    return this.run(R.dump(C.RTM_GETROUTE, family))
      .filter((m) => m.type === C.RTM_NEWROUTE)
      .map((m) => decodeRoute(m.payload))
      .filter((route): route is RouteInfo => route !== undefined);
  }

  neighAdd(neighbour: Neighbour): void {
    this.run(this.neighRequest(true, neighbour));
  }

  neighDel(neighbour: Neighbour): void {
    this.run(this.neighRequest(false, neighbour));
  }

  neighList(link?: string): NeighbourInfo[] {
    return this.listNeighbours(C.AF_UNSPEC, link).filter((n) => n.family !== C.AF_BRIDGE);
  }

  fdbAdd(entry: FdbEntry): void {
    this.run(this.fdbRequest(true, entry));
  }

  fdbDel(entry: FdbEntry): void {
    this.run(this.fdbRequest(false, entry));
  }

  fdbList(link?: string): NeighbourInfo[] {
    return this.listNeighbours(C.AF_BRIDGE, link);
  }

  private listNeighbours(family: number, link: string | undefined): NeighbourInfo[] {
    const index = link === undefined ? undefined : this.index(checkLinkName(link));
    return this.run(R.dump(C.RTM_GETNEIGH, family))
      .filter((m) => m.type === C.RTM_NEWNEIGH)
      .map((m) => decodeNeighbour(m.payload))
      .filter((n) => index === undefined || n.index === index);
  }

  private routeRequest(add: boolean, route: Route): Request {
    R.checkRoute(route);
    const index = route.link === undefined ? undefined : this.index(checkLinkName(route.link));
    return R.route(add, route, index, route.link ?? '');
  }

  private neighRequest(add: boolean, neighbour: Neighbour): Request {
    parseMac(neighbour.mac);
    parseIp(neighbour.ip);
    return R.neighbour(
      add,
      this.index(checkLinkName(neighbour.link)),
      neighbour.mac,
      neighbour.ip,
      false,
      neighbour.link,
    );
  }

  private fdbRequest(add: boolean, entry: FdbEntry): Request {
    parseMac(entry.mac);
    if (entry.destination !== undefined) parseIp(entry.destination);
    return R.neighbour(add, this.index(checkLinkName(entry.link)), entry.mac, entry.destination, true, entry.link);
  }
}

/**
 * Requests sent together in one `send` (the kernel runs them in order; each ACK is checked).
 * A batch is not atomic: `commit(rollback)` records the undo of each request that succeeded,
 * so a caller can remove what a half-applied batch created.
 */
export class Batch {
  private readonly ops: { request: Request; undo?: Request }[] = [];

  constructor(private readonly rtnl: Rtnl) {}

  get size(): number {
    return this.ops.length;
  }

  /** Any prepared request (see requests.ts), with the request that undoes it. */
  add(request: Request, undo?: Request): this {
    this.ops.push(undo === undefined ? { request } : { request, undo });
    return this;
  }

  /** The links the spec names must exist before the batch is sent. */
  linkAdd(spec: LinkSpec): this {
    return this.add(R.newLink(spec, this.rtnl.linkRefs(spec)), R.delLinkByName(spec.name));
  }

  /** A master named in the change is looked up now. */
  linkSet(index: number, change: LinkChange, label = `#${index}`): this {
    R.checkLinkChange(change);
    return this.add(R.setLink(index, label, change, this.rtnl.masterIndex(change)));
  }

  addrAdd(index: number, cidr: string, nodad: boolean, label = `#${index}`): this {
    return this.add(R.address(true, index, cidr, nodad, label), R.address(false, index, cidr, false, label));
  }

  routeAdd(route: Omit<Route, 'link'>, index?: number, label = index === undefined ? '' : `#${index}`): this {
    return this.add(R.route(true, route, index, label), R.route(false, route, index, label));
  }

  /** Sends everything; throws the first failure after recording the undos of what succeeded. */
  commit(rollback?: Rollback): Reply[][] {
    const outcomes = this.rtnl.send(this.ops.map((op) => op.request));
    let failure: NetlinkError | undefined;
    const replies: Reply[][] = [];
    outcomes.forEach((outcome, i) => {
      const op = this.ops[i] as { request: Request; undo?: Request };
      if (outcome.ok) {
        replies.push(outcome.replies);
        const undo = op.undo;
        if (rollback && undo)
          rollback.add(
            op.request.what,
            () =>
              void this.rtnl.send([undo]).forEach((o) => {
                if (!o.ok) throw o.error;
              }),
          );
      } else {
        failure ??= outcome.error;
        replies.push([]);
      }
    });
    if (failure) throw failure;
    return replies;
  }
}
