// rtnetlink request builders. Inputs are validated here; link names are resolved to indexes
// by the caller (rtnl.ts) and passed in.
import * as C from './constants.js';
import { ifinfomsg, Writer } from './codec.js';
import { InvalidInputError } from './errors.js';
import type { Request } from './socket.js';
import type { LinkChange, LinkSpec, RouteScope } from './types.js';
import { AF_INET, AF_INET6, checkLinkName, type Cidr, type Ip, parseCidr, parseIp, parseMac } from './validate.js';

const MACVLAN_MODES = { private: 1, vepa: 2, bridge: 4, passthru: 8, source: 16 } as const;
const IPVLAN_MODES = { l2: 0, l3: 1, l3s: 2 } as const;
const SCOPES: Record<RouteScope, number> = {
  universe: C.RT_SCOPE_UNIVERSE,
  link: C.RT_SCOPE_LINK,
  host: C.RT_SCOPE_HOST,
};

function checkMtu(mtu: number | undefined): void {
  if (mtu !== undefined && (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535))
    throw new InvalidInputError(`mtu ${mtu} out of range 68..65535`);
}

/** Checks a link spec entirely before any name is resolved. */
export function checkLinkSpec(spec: LinkSpec): void {
  checkLinkName(spec.name);
  checkMtu(spec.mtu);
  if (spec.mac !== undefined) parseMac(spec.mac);
  if (spec.master !== undefined) checkLinkName(spec.master, 'master');
  const kind = spec.kind;
  if (spec.bridge !== undefined && kind.tag !== 'bridge')
    throw new InvalidInputError(`bridge options given for a ${kind.tag} link`);
  switch (kind.tag) {
    case 'veth':
      checkLinkName(kind.val.name, 'veth peer name');
      if (kind.val.mac !== undefined) parseMac(kind.val.mac);
      break;
    case 'vxlan':
      if (!Number.isInteger(kind.val.vni) || kind.val.vni < 0 || kind.val.vni >= 1 << 24)
        throw new InvalidInputError(`vni ${kind.val.vni} out of range`);
      if (kind.val.local !== undefined) parseIp(kind.val.local);
      if (
        kind.val.port !== undefined &&
        (!Number.isInteger(kind.val.port) || kind.val.port < 1 || kind.val.port > 65535)
      ) {
        throw new InvalidInputError(`vxlan port ${kind.val.port} out of range`);
      }
      if (kind.val.underlay !== undefined) checkLinkName(kind.val.underlay, 'vxlan underlay');
      break;
    case 'macvlan':
      checkLinkName(kind.val.parent, 'macvlan parent');
      if (!(kind.val.mode in MACVLAN_MODES)) throw new InvalidInputError(`unknown macvlan mode ${kind.val.mode}`);
      break;
    case 'ipvlan':
      checkLinkName(kind.val.parent, 'ipvlan parent');
      if (!(kind.val.mode in IPVLAN_MODES)) throw new InvalidInputError(`unknown ipvlan mode ${kind.val.mode}`);
      break;
    case 'bridge':
    case 'dummy':
      break;
    default:
      throw new InvalidInputError(`unknown link kind ${(kind as { tag: string }).tag}`);
  }
}

export interface LinkRefs {
  master?: number;
  /** macvlan/ipvlan parent, vxlan underlay. */
  lower?: number;
  /** fd of the namespace the veth peer is created in. */
  peerNetnsFd?: number;
  /** fd of the namespace the link itself is created in (a macvlan into a sandbox). */
  netnsFd?: number;
}

/**
 * A veth end with one queue each way, as the kernel ends up giving it anyway: without these
 * attributes veth gets one queue per CPU and then cuts them to one, which waits for an RCU grace
 * period (synchronize_net under RTNL) per end, blocking the caller's thread.
 */
function singleQueue(w: Writer): void {
  w.u32(C.IFLA_NUM_TX_QUEUES, 1).u32(C.IFLA_NUM_RX_QUEUES, 1);
}

/** RTM_NEWLINK, with NLM_F_ECHO where possible: the reply carries the new link's index. */
export function newLink(spec: LinkSpec, refs: LinkRefs): Request {
  // Only this end goes up: the kernel opens it once the pair is linked. A peer asked to be
  // up would open before that, and fail with ENOTCONN.
  const up = spec.up ? C.IFF_UP : 0;
  const w = new Writer().raw(ifinfomsg(C.AF_UNSPEC, 0, up, C.IFF_UP)).str(C.IFLA_IFNAME, spec.name);
  if (spec.mtu !== undefined) w.u32(C.IFLA_MTU, spec.mtu);
  if (spec.mac !== undefined) w.attr(C.IFLA_ADDRESS, parseMac(spec.mac));
  if (refs.master !== undefined) w.u32(C.IFLA_MASTER, refs.master);
  const kind = spec.kind;
  if (kind.tag === 'veth') singleQueue(w);
  if ((kind.tag === 'macvlan' || kind.tag === 'ipvlan') && refs.lower !== undefined) w.u32(C.IFLA_LINK, refs.lower);
  // The kernel resolves IFLA_LINK in the sender's namespace and creates the link in this one.
  if (refs.netnsFd !== undefined) w.u32(C.IFLA_NET_NS_FD, refs.netnsFd);
  w.nest(C.IFLA_LINKINFO, (info) => {
    info.str(C.IFLA_INFO_KIND, kind.tag);
    switch (kind.tag) {
      case 'veth':
        info.nest(C.IFLA_INFO_DATA, (data) =>
          data.nest(C.VETH_INFO_PEER, (peer) => {
            peer.raw(ifinfomsg(C.AF_UNSPEC, 0, 0, 0)).str(C.IFLA_IFNAME, kind.val.name);
            if (kind.val.mac !== undefined) peer.attr(C.IFLA_ADDRESS, parseMac(kind.val.mac));
            if (spec.mtu !== undefined) peer.u32(C.IFLA_MTU, spec.mtu);
            if (refs.peerNetnsFd !== undefined) peer.u32(C.IFLA_NET_NS_FD, refs.peerNetnsFd);
            singleQueue(peer);
          }),
        );
        break;
      case 'vxlan':
        info.nest(C.IFLA_INFO_DATA, (data) => {
          data.u32(C.IFLA_VXLAN_ID, kind.val.vni);
          if (kind.val.local !== undefined) {
            const local = parseIp(kind.val.local);
            data.attr(local.family === AF_INET ? C.IFLA_VXLAN_LOCAL : C.IFLA_VXLAN_LOCAL6, local.bytes);
          }
          if (refs.lower !== undefined) data.u32(C.IFLA_VXLAN_LINK, refs.lower);
          data.be16(C.IFLA_VXLAN_PORT, kind.val.port ?? 4789);
          data.u8(C.IFLA_VXLAN_LEARNING, kind.val.learning ? 1 : 0);
          data.u8(C.IFLA_VXLAN_PROXY, kind.val.proxy ? 1 : 0);
        });
        break;
      case 'macvlan':
        info.nest(C.IFLA_INFO_DATA, (data) => data.u32(C.IFLA_MACVLAN_MODE, MACVLAN_MODES[kind.val.mode]));
        break;
      case 'ipvlan':
        info.nest(C.IFLA_INFO_DATA, (data) => data.u16(C.IFLA_IPVLAN_MODE, IPVLAN_MODES[kind.val.mode]));
        break;
      case 'bridge': {
        const snooping = spec.bridge?.mcastSnooping;
        if (snooping !== undefined)
          info.nest(C.IFLA_INFO_DATA, (data) => data.u8(C.IFLA_BR_MCAST_SNOOPING, snooping ? 1 : 0));
        break;
      }
      default:
        break;
    }
  });
  const peer = kind.tag === 'veth' ? ` peer ${kind.val.name}` : '';
  // No echo when the peer or the link goes to another namespace: the kernel echoes it there and
  // fails with ENOTCONN (no socket of ours has that port id in that namespace).
  const echo = refs.peerNetnsFd === undefined && refs.netnsFd === undefined ? C.NLM_F_ECHO : 0;
  return {
    type: C.RTM_NEWLINK,
    flags: C.NLM_F_CREATE | C.NLM_F_EXCL | echo,
    payload: w.done(),
    what: `create ${kind.tag} ${spec.name}${peer}`,
  };
}

export function checkLinkChange(change: LinkChange): void {
  checkMtu(change.mtu);
  if (change.mac !== undefined) parseMac(change.mac);
  if (change.name !== undefined) checkLinkName(change.name);
  if (change.master?.tag === 'set') checkLinkName(change.master.val, 'master');
}

/** RTM_SETLINK. `master`: an index, or 0 to release. `netnsFd`: move the link there. */
export function setLink(index: number, label: string, change: LinkChange, master?: number, netnsFd?: number): Request {
  const flags = change.up === undefined ? 0 : change.up ? C.IFF_UP : 0;
  const w = new Writer().raw(ifinfomsg(C.AF_UNSPEC, index, flags, change.up === undefined ? 0 : C.IFF_UP));
  if (change.mac !== undefined) w.attr(C.IFLA_ADDRESS, parseMac(change.mac));
  if (change.mtu !== undefined) w.u32(C.IFLA_MTU, change.mtu);
  if (change.name !== undefined) w.str(C.IFLA_IFNAME, change.name);
  if (master !== undefined) w.u32(C.IFLA_MASTER, master);
  if (netnsFd !== undefined) w.u32(C.IFLA_NET_NS_FD, netnsFd);
  return { type: C.RTM_SETLINK, flags: 0, payload: w.done(), what: `set link ${label} ${JSON.stringify(change)}` };
}

/** A link request addressed by name (index 0: the kernel looks the name up; it is no new name). */
function byName(type: number, name: string, what: string, flags = 0, change = 0): Request {
  const payload = new Writer()
    .raw(ifinfomsg(C.AF_UNSPEC, 0, flags, change))
    .str(C.IFLA_IFNAME, name)
    .done();
  return { type, flags: 0, payload, what };
}

export function delLinkByName(name: string): Request {
  return byName(C.RTM_DELLINK, name, `delete link ${name}`);
}

export function upLinkByName(name: string): Request {
  return byName(C.RTM_SETLINK, name, `set link ${name} up`, C.IFF_UP, C.IFF_UP);
}

export function getLinkByName(name: string): Request {
  return byName(C.RTM_GETLINK, name, `get link ${name}`);
}

export function getLinkByIndex(index: number): Request {
  return { type: C.RTM_GETLINK, flags: 0, payload: ifinfomsg(C.AF_UNSPEC, index, 0, 0), what: `get link #${index}` };
}

export function dump(type: number, family = C.AF_UNSPEC): Request {
  // Every dump header starts with a one-byte family; 16 bytes fits the longest (ifinfomsg).
  const header = type === C.RTM_GETLINK ? ifinfomsg(family, 0, 0, 0) : Buffer.alloc(type === C.RTM_GETADDR ? 8 : 12);
  header.writeUInt8(family, 0);
  return { type, flags: C.NLM_F_DUMP, payload: header, what: `dump ${type}` };
}

function ifaddrmsg(cidr: Cidr, index: number, flags: number): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt8(cidr.family, 0);
  header.writeUInt8(cidr.prefix, 1);
  header.writeUInt8(flags & 0xff, 2);
  header.writeUInt32LE(index, 4);
  return header;
}

/** RTM_NEWADDR / RTM_DELADDR. */
export function address(add: boolean, index: number, cidrText: string, nodad: boolean, label: string): Request {
  const cidr = parseCidr(cidrText);
  const flags = nodad && cidr.family === AF_INET6 ? C.IFA_F_NODAD : 0;
  const w = new Writer()
    .raw(ifaddrmsg(cidr, index, flags))
    .attr(C.IFA_LOCAL, cidr.bytes)
    .attr(C.IFA_ADDRESS, cidr.bytes);
  if (flags) w.u32(C.IFA_FLAGS, flags);
  return {
    type: add ? C.RTM_NEWADDR : C.RTM_DELADDR,
    flags: add ? C.NLM_F_CREATE | C.NLM_F_EXCL : 0,
    payload: w.done(),
    what: `${add ? 'add' : 'delete'} address ${cidrText} on ${label}`,
  };
}

export interface RouteTarget {
  destination?: string;
  gateway?: string;
  scope: RouteScope;
}

/** Parses a route's addresses; the family comes from the destination or the gateway. */
export function checkRoute(route: RouteTarget): { destination?: Cidr; gateway?: Ip; family: number } {
  const destination = route.destination === undefined ? undefined : parseCidr(route.destination);
  const gateway = route.gateway === undefined ? undefined : parseIp(route.gateway);
  if (!(route.scope in SCOPES)) throw new InvalidInputError(`unknown route scope ${route.scope}`);
  if (destination === undefined && gateway === undefined && route.scope === 'universe') {
    throw new InvalidInputError('a route needs a destination or a gateway');
  }
  if (destination && gateway && destination.family !== gateway.family) {
    throw new InvalidInputError(`route ${route.destination} via ${route.gateway}: address families differ`);
  }
  return { destination, gateway, family: destination?.family ?? gateway?.family ?? AF_INET };
}

/** RTM_NEWROUTE / RTM_DELROUTE in the main table. */
export function route(add: boolean, target: RouteTarget, index: number | undefined, label: string): Request {
  const { destination, gateway, family } = checkRoute(target);
  const header = Buffer.alloc(12);
  header.writeUInt8(family, 0);
  header.writeUInt8(destination?.prefix ?? 0, 1);
  header.writeUInt8(C.RT_TABLE_MAIN, 4);
  header.writeUInt8(add ? C.RTPROT_STATIC : 0, 5);
  header.writeUInt8(family === AF_INET6 ? C.RT_SCOPE_UNIVERSE : SCOPES[target.scope], 6);
  header.writeUInt8(C.RTN_UNICAST, 7);
  const w = new Writer().raw(header);
  if (destination && destination.prefix > 0) w.attr(C.RTA_DST, maskedBytes(destination));
  if (gateway) w.attr(C.RTA_GATEWAY, gateway.bytes);
  if (index !== undefined) w.u32(C.RTA_OIF, index);
  const text = `${target.destination ?? 'default'}${target.gateway ? ` via ${target.gateway}` : ''}${label ? ` dev ${label}` : ''}`;
  return {
    type: add ? C.RTM_NEWROUTE : C.RTM_DELROUTE,
    flags: add ? C.NLM_F_CREATE | C.NLM_F_EXCL : 0,
    payload: w.done(),
    what: `${add ? 'add' : 'delete'} route ${text}`,
  };
}

function maskedBytes(cidr: Cidr): Buffer {
  const bytes = Buffer.from(cidr.bytes);
  for (let bit = cidr.prefix; bit < bytes.length * 8; bit++)
    bytes[bit >> 3] = (bytes[bit >> 3] as number) & ~(0x80 >> (bit & 7));
  return bytes;
}

/** RTM_NEWNEIGH / RTM_DELNEIGH: an IP neighbour (family from the IP) or, with `bridge`, an fdb
 * entry on the link itself (NTF_SELF, e.g. a VXLAN device's remote VTEP). */
export function neighbour(
  add: boolean,
  index: number,
  mac: string,
  ip: string | undefined,
  bridge: boolean,
  label: string,
): Request {
  const lladdr = parseMac(mac);
  const dst = ip === undefined ? undefined : parseIp(ip);
  const header = Buffer.alloc(12);
  header.writeUInt8(bridge ? C.AF_BRIDGE : (dst?.family ?? AF_INET), 0);
  header.writeInt32LE(index, 4);
  header.writeUInt16LE(C.NUD_PERMANENT, 8);
  header.writeUInt8(bridge ? C.NTF_SELF : 0, 10);
  const w = new Writer().raw(header);
  if (dst) w.attr(C.NDA_DST, dst.bytes);
  w.attr(C.NDA_LLADDR, lladdr);
  // All-zero MACs are a VXLAN's default destinations: several may coexist (append).
  const zero = lladdr.every((byte) => byte === 0);
  const createFlags = bridge && zero ? C.NLM_F_CREATE | C.NLM_F_APPEND : C.NLM_F_CREATE | C.NLM_F_REPLACE;
  return {
    type: add ? C.RTM_NEWNEIGH : C.RTM_DELNEIGH,
    flags: add ? createFlags : 0,
    payload: w.done(),
    what: `${add ? 'add' : 'delete'} ${bridge ? 'fdb entry' : 'neighbour'} ${mac}${ip ? ` ${ip}` : ''} on ${label}`,
  };
}
