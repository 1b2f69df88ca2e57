// Decoding of rtnetlink replies into the plumbing's types.
import * as C from './constants.js';
import { attrString, parseAttrs } from './codec.js';
import type { AddressInfo, LinkInfo, RouteInfo, RouteScope } from './types.js';
import { AF_INET, formatIp, formatMac } from './validate.js';

export function decodeLink(payload: Buffer): LinkInfo {
  const attrs = parseAttrs(payload, 16);
  const info = attrs.get(C.IFLA_LINKINFO);
  const kind = info ? attrString(parseAttrs(info).get(C.IFLA_INFO_KIND)) : undefined;
  const mac = attrs.get(C.IFLA_ADDRESS);
  const master = attrs.get(C.IFLA_MASTER);
  const link = attrs.get(C.IFLA_LINK);
  const index = payload.readInt32LE(4);
  const result: LinkInfo = {
    index,
    name: attrString(attrs.get(C.IFLA_IFNAME)) ?? '',
    kind: kind ?? 'device',
    mtu: attrs.get(C.IFLA_MTU)?.readUInt32LE(0) ?? 0,
    up: (payload.readUInt32LE(8) & C.IFF_UP) !== 0,
  };
  if (mac && mac.length === 6) result.mac = formatMac(mac);
  if (master) result.masterIndex = master.readUInt32LE(0);
  // A veth's peer in another namespace (IFLA_LINK_NETNSID) may have the same index as the link.
  if (link && (link.readUInt32LE(0) !== index || attrs.has(C.IFLA_LINK_NETNSID)))
    result.linkIndex = link.readUInt32LE(0);
  return result;
}

export function decodeAddress(payload: Buffer): AddressInfo {
  const attrs = parseAttrs(payload, 8);
  const ip = attrs.get(C.IFA_LOCAL) ?? attrs.get(C.IFA_ADDRESS) ?? Buffer.alloc(16);
  return { index: payload.readUInt32LE(4), cidr: `${formatIp(payload.readUInt8(0), ip)}/${payload.readUInt8(1)}` };
}

const SCOPE_NAMES = new Map<number, RouteScope>([
  [C.RT_SCOPE_UNIVERSE, 'universe'],
  [C.RT_SCOPE_LINK, 'link'],
  [C.RT_SCOPE_HOST, 'host'],
]);

/** A route of the main table, or undefined for other tables and kinds. */
export function decodeRoute(payload: Buffer): RouteInfo | undefined {
  const attrs = parseAttrs(payload, 12);
  const table = attrs.get(C.RTA_TABLE)?.readUInt32LE(0) ?? payload.readUInt8(4);
  if (table !== C.RT_TABLE_MAIN || payload.readUInt8(7) !== C.RTN_UNICAST) return undefined;
  const family = payload.readUInt8(0);
  const dst = attrs.get(C.RTA_DST) ?? Buffer.alloc(16);
  const gateway = attrs.get(C.RTA_GATEWAY);
  const oif = attrs.get(C.RTA_OIF);
  const route: RouteInfo = {
    destination: `${formatIp(family, dst)}/${payload.readUInt8(1)}`,
    scope: SCOPE_NAMES.get(payload.readUInt8(6)) ?? 'universe',
  };
  if (gateway) route.gateway = formatIp(family, gateway);
  if (oif) route.index = oif.readUInt32LE(0);
  return route;
}

export interface NeighbourInfo {
  index: number;
  family: number;
  ip?: string;
  mac?: string;
  permanent: boolean;
}

export function decodeNeighbour(payload: Buffer): NeighbourInfo {
  const attrs = parseAttrs(payload, 12);
  const family = payload.readUInt8(0);
  const dst = attrs.get(C.NDA_DST);
  const lladdr = attrs.get(C.NDA_LLADDR);
  const result: NeighbourInfo = {
    index: payload.readInt32LE(4),
    family,
    permanent: (payload.readUInt16LE(8) & C.NUD_PERMANENT) !== 0,
  };
  if (dst) result.ip = formatIp(dst.length === 4 ? AF_INET : 10, dst);
  if (lladdr && lladdr.length === 6) result.mac = formatMac(lladdr);
  return result;
}
