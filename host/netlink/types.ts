// The plumbing's vocabulary. It mirrors wit/netlink.wit field for field, except that a veth
// peer and a macvlan name their namespace by handle (the runtime maps `netns::sandbox(key)` to one).
import type { Netns } from './netns.js';

export type MacvlanMode = 'private' | 'vepa' | 'bridge' | 'passthru' | 'source';
export type IpvlanMode = 'l2' | 'l3' | 'l3s';

export interface VethPeer {
  /** Name of the peer, created directly in `netns` (no move). */
  name: string;
  /** Where the peer is created; the namespace of the request when absent. */
  netns?: Netns;
  mac?: string;
}

export interface MacvlanConfig {
  /** The link it sits on, by name, in the namespace of the request. */
  parent: string;
  mode: MacvlanMode;
  /** Where the macvlan itself is created (no move); the namespace of the request when absent. */
  netns?: Netns;
}

export interface VxlanConfig {
  vni: number;
  local?: string;
  /** UDP destination port; 4789 when absent. */
  port?: number;
  /** Link the tunnel sends through, by name. */
  underlay?: string;
  learning: boolean;
  /** Answer ARP/ND from the device's neighbour table instead of flooding them (IFLA_VXLAN_PROXY). */
  proxy: boolean;
}

export type LinkKind =
  | { tag: 'bridge' }
  | { tag: 'dummy' }
  | { tag: 'veth'; val: VethPeer }
  | { tag: 'vxlan'; val: VxlanConfig }
  | { tag: 'macvlan'; val: MacvlanConfig }
  | { tag: 'ipvlan'; val: { parent: string; mode: IpvlanMode } };

/** Host-side bridge settings (not in the WIT: the host chooses them for its bridges). */
export interface BridgeOptions {
  /** IGMP/MLD snooping (kernel default on). Off makes each new port's cost independent of
   * the bridge's size, at the price of flooding multicast to every port. */
  mcastSnooping?: boolean;
}

export interface LinkSpec {
  name: string;
  kind: LinkKind;
  /** For a bridge only. */
  bridge?: BridgeOptions;
  mtu?: number;
  mac?: string;
  /** A bridge to enslave the new link to, by name. */
  master?: string;
  up: boolean;
}

export interface LinkInfo {
  index: number;
  name: string;
  /** "bridge", "veth", "vxlan", "macvlan", "ipvlan", "dummy", "device", ... */
  kind: string;
  mtu: number;
  mac?: string;
  up: boolean;
  /** The master's name (absent when not enslaved). */
  master?: string;
  masterIndex?: number;
  /** IFLA_LINK: a veth's peer index (in the peer's namespace), a macvlan's parent index. */
  linkIndex?: number;
}

export type MasterChange = { tag: 'set'; val: string } | { tag: 'unset' };

/** A change to a link: absent fields are not touched. */
export interface LinkChange {
  up?: boolean;
  master?: MasterChange;
  mtu?: number;
  mac?: string;
  name?: string;
}

export interface Address {
  link: string;
  /** "10.0.0.2/24", "fd00::2/64". */
  cidr: string;
  /** IPv6: skip duplicate address detection. */
  nodad: boolean;
}

export interface AddressInfo {
  index: number;
  cidr: string;
}

export type RouteScope = 'universe' | 'link' | 'host';

export interface Route {
  /** CIDR; absent is the default route of the family of `gateway`. */
  destination?: string;
  gateway?: string;
  link?: string;
  scope: RouteScope;
}

export interface RouteInfo {
  /** CIDR ("0.0.0.0/0", "::/0" for default routes). */
  destination: string;
  gateway?: string;
  index?: number;
  scope: RouteScope;
}

export interface Neighbour {
  link: string;
  ip: string;
  mac: string;
}

export interface FdbEntry {
  link: string;
  mac: string;
  /** VXLAN: the remote VTEP. */
  destination?: string;
}

/** The sysctls a driver may set (wit `sysctl`). */
export type Sysctl =
  | 'ip-forward'
  | 'ipv6-forwarding'
  | 'disable-ipv6'
  | 'proxy-arp'
  | 'accept-ra'
  | 'arp-ignore'
  | 'rp-filter';
