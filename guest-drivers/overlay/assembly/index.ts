// libnetwork's `overlay` driver as a wasmnet guest: one VXLAN segment per network across the
// cluster's nodes. On each node where the network is created (CreateNetwork: its links then go
// with the network, never with an endpoint), a bridge with a VXLAN device enslaved to it
// (learning off, ARP proxy on), and per endpoint a veth pair whose container end is created in
// the sandbox. Each endpoint's address, MAC and node (VTEP) go to the network's
// `overlay_peer_table`; every other node programs them as a permanent neighbour and a permanent
// FDB entry on its VXLAN device, and removes them when the entry goes.
import {
  Box,
  MAC_ADDRESS,
  Capability,
  Discovery,
  DiscoveryTag,
  Driver,
  ExternalConnectivity,
  EventType,
  FdbEntry,
  InterfaceInfo,
  IpamData,
  JoinInfo,
  LinkKind,
  LinkSpec,
  Neighbour,
  Netlink,
  Netns,
  NetworkInfo,
  ObjectType,
  Options,
  Result,
  Scope,
  Store,
  TableEntrySummary,
  Tuple2,
  VxlanConfig,
  WitError,
  addSandboxVeth,
  errorMessage,
  invalidParameter,
  isNotFound,
  logInfo,
  logWarn,
  notFound,
  optionString,
  parseIPv4,
  registerDriver,
  sandboxVethName,
  storeDeletePrefix,
  storeGetString,
  storeSetString,
} from '@wasmnet/sdk';
import { checkNetworkOptions, PARENT, underlayMtu } from './options';
import { PEER_TABLE, Peer, decodePeer, endpointMac } from './peer';
import { VXLANID_OPTION, allocateVni, freeVni, vniOption } from './vni';

const VXLAN_PORT: u16 = 4789;
/** What VXLAN adds to each frame: outer Ethernet 14, IPv4 20, UDP 8, VXLAN 8. */
const VXLAN_OVERHEAD: u32 = 50;
/** This node's VTEP: the address DiscoverNew gave for the node itself. */
const SELF_VTEP = 'self/vtep';

function networkKey(networkId: string, field: string): string {
  return `net/${networkId}/${field}`;
}
function endpointKey(endpointId: string, field: string): string {
  return `ep/${endpointId}/${field}`;
}
/** The network whose VXLAN device on this node has the VNI. */
function vniInUseKey(vni: u32): string {
  return `used/${vni.toString()}`;
}
/** A peer programmed on this node's VXLAN device of the network. */
function peerKey(networkId: string, endpointId: string): string {
  return `peer/${networkId}/${endpointId}`;
}

class OverlayDriver extends Driver {
  networkAllocate(
    networkId: string,
    options: Options,
    ipv4Data: IpamData[],
    ipv6Data: IpamData[],
  ): Result<Options, WitError> {
    const refused = checkNetworkOptions(options);
    if (refused !== null) return Result.err<Options, WitError>(refused);
    const vni = allocateVni(networkId, options);
    if (!vni.isOk) return Result.err<Options, WitError>(vni.error!);
    return Result.ok<Options, WitError>([new Tuple2<string, string>(VXLANID_OPTION, vni.value.toString())]);
  }

  networkFree(networkId: string): WitError | null {
    return freeVni(networkId);
  }

  createNetwork(
    networkId: string,
    options: Options,
    info: NetworkInfo,
    ipv4Data: IpamData[],
    ipv6Data: IpamData[],
  ): WitError | null {
    const refused = checkNetworkOptions(options);
    if (refused !== null) return refused;
    if (networkId.length < 12) return invalidParameter(`overlay driver: network id ${networkId} is too short`);
    const vtep = storeGetString(SELF_VTEP);
    if (vtep === null)
      return WitError.noService(
        'overlay driver: this node has no advertise address (run the daemon with --cluster-store and --advertise-addr)',
      );
    const vniText = optionString(options, VXLANID_OPTION);
    if (vniText === null)
      return invalidParameter(`overlay driver: network ${networkId} has no VNI (NetworkAllocate did not run)`);
    const vni = vniOption(vniText);
    if (!vni.isOk) return vni.error;
    // Two networks created on different nodes may have picked the same VNI (vni.ts): refused here,
    // where both would meet, rather than by the kernel's EEXIST.
    const holder = storeGetString(vniInUseKey(vni.value));
    if (holder !== null && holder != networkId)
      return invalidParameter(`overlay driver: VNI ${vni.value} is already used by network ${holder} on this node`);
    const registered = info.tableEventRegister(PEER_TABLE, ObjectType.Endpoint);
    if (registered !== null) return registered;

    const mtu = new Box<u32>(underlayMtu(options) - VXLAN_OVERHEAD);
    const bridge = `ov-${networkId.substring(0, 12)}`;
    const vxlan = `vx-${networkId.substring(0, 12)}`;
    const madeBridge = Netlink.linkAdd(Netns.host(), new LinkSpec(bridge, LinkKind.bridge(), mtu, null, null, true));
    if (!madeBridge.isOk) return madeBridge.error;
    const tunnel = new VxlanConfig(
      vni.value,
      vtep,
      new Box<u16>(VXLAN_PORT),
      optionString(options, PARENT),
      false,
      true,
    );
    const madeVxlan = Netlink.linkAdd(
      Netns.host(),
      new LinkSpec(vxlan, LinkKind.vxlan(tunnel), mtu, null, bridge, true),
    );
    if (!madeVxlan.isOk) {
      Netlink.linkDel(Netns.host(), bridge); // roll back: nothing half-made stays behind
      return madeVxlan.error;
    }
    storeSetString(vniInUseKey(vni.value), networkId);
    storeSetString(networkKey(networkId, 'vni'), vni.value.toString());
    storeSetString(networkKey(networkId, 'bridge'), bridge);
    storeSetString(networkKey(networkId, 'vxlan'), vxlan);
    storeSetString(networkKey(networkId, 'mtu'), mtu.value.toString());
    logInfo(`network ${networkId.substring(0, 12)}: VNI ${vni.value}, ${vxlan} on ${bridge}, local ${vtep}`);
    return null;
  }

  /** The VXLAN device takes its neighbour and FDB entries with it. */
  deleteNetwork(networkId: string): WitError | null {
    const bridge = storeGetString(networkKey(networkId, 'bridge'));
    const vxlan = storeGetString(networkKey(networkId, 'vxlan'));
    if (bridge === null || vxlan === null) return notFound(`overlay driver: network ${networkId} not found`);
    let error = Netlink.linkDel(Netns.host(), vxlan);
    if (error === null || isNotFound(error)) error = Netlink.linkDel(Netns.host(), bridge);
    if (error !== null && !isNotFound(error)) return error;
    const vni = storeGetString(networkKey(networkId, 'vni'));
    if (vni !== null) Store.delete_(vniInUseKey(<u32>I32.parseInt(vni)));
    storeDeletePrefix(`net/${networkId}/`);
    storeDeletePrefix(`peer/${networkId}/`);
    return null;
  }

  createEndpoint(networkId: string, endpointId: string, iface: InterfaceInfo, options: Options): WitError | null {
    if (storeGetString(networkKey(networkId, 'bridge')) === null)
      return notFound(`overlay driver: network ${networkId} not found`);
    const address = iface.address();
    if (address === null) return invalidParameter('overlay driver: an endpoint needs an IPv4 address');
    let mac = iface.macAddress();
    if (mac === null) {
      mac = endpointMac(address);
      if (mac === null) return invalidParameter(`overlay driver: address ${address} is not a CIDR`);
      const error = iface.setMacAddress(mac);
      if (error !== null) return error;
    }
    const error = storeSetString(endpointKey(endpointId, 'address'), address);
    return error !== null ? error : storeSetString(endpointKey(endpointId, 'mac'), mac);
  }

  deleteEndpoint(networkId: string, endpointId: string): WitError | null {
    storeDeletePrefix(`ep/${endpointId}/`);
    return null;
  }

  endpointOperInfo(networkId: string, endpointId: string): Result<Options, WitError> {
    const mac = storeGetString(endpointKey(endpointId, 'mac'));
    if (mac === null)
      return Result.err<Options, WitError>(notFound(`overlay driver: endpoint ${endpointId} not found`));
    return Result.ok<Options, WitError>([new Tuple2<string, string>(MAC_ADDRESS, mac)]);
  }

  join(networkId: string, endpointId: string, sandboxKey: string, info: JoinInfo, options: Options): WitError | null {
    const bridge = storeGetString(networkKey(networkId, 'bridge'));
    const mtu = storeGetString(networkKey(networkId, 'mtu'));
    const vtep = storeGetString(SELF_VTEP);
    const address = storeGetString(endpointKey(endpointId, 'address'));
    const mac = storeGetString(endpointKey(endpointId, 'mac'));
    if (bridge === null || mtu === null || vtep === null)
      return notFound(`overlay driver: network ${networkId} not found`);
    if (address === null || mac === null) return notFound(`overlay driver: endpoint ${endpointId} not found`);
    const added = addSandboxVeth(endpointId, sandboxKey, options, mac, new Box<u32>(<u32>I32.parseInt(mtu)), bridge);
    if (!added.isOk) return added.error;
    const names = info.interfaceName();
    let error = names.setNames(sandboxVethName(endpointId, options), 'eth');
    names.drop();
    // The other nodes learn of the endpoint from its row (removed by the host at Leave).
    if (error === null) error = info.addTableEntry(PEER_TABLE, endpointId, new Peer(address, mac, vtep).encode());
    if (error !== null) {
      Netlink.linkDel(Netns.host(), added.value); // roll back the pair
      return error;
    }
    return null;
  }

  /** The host removes the sandbox's interface, and the pair with it, and the endpoint's row. */
  leave(networkId: string, endpointId: string): WitError | null {
    return null;
  }

  eventNotify(event: EventType, networkId: string, tableName: string, key: string, value: Uint8Array): void {
    if (tableName != PEER_TABLE) return;
    const vxlan = storeGetString(networkKey(networkId, 'vxlan'));
    if (vxlan === null) return;
    // An update replaces what the row said before.
    if (event != EventType.Create) forgetPeer(networkId, key, vxlan);
    if (event == EventType.Delete) return;
    const peer = decodePeer(value);
    if (peer === null) {
      logWarn(`overlay driver: ignored malformed ${PEER_TABLE} row ${key} of network ${networkId.substring(0, 12)}`);
      return;
    }
    if (peer.vtep == storeGetString(SELF_VTEP)) return; // a row of this node's own (from a previous run)
    let error = Netlink.neighAdd(Netns.host(), new Neighbour(vxlan, peer.ip(), peer.mac));
    if (error === null) error = Netlink.fdbAdd(Netns.host(), new FdbEntry(vxlan, peer.mac, peer.vtep));
    if (error === null) error = Store.set(peerKey(networkId, key), peer.encode());
    if (error !== null) {
      forgetPeer(networkId, key, vxlan);
      logWarn(`overlay driver: peer ${key} of network ${networkId.substring(0, 12)}: ${errorMessage(error)}`);
    }
  }

  decodeTableEntry(tableName: string, key: string, value: Uint8Array): TableEntrySummary {
    const peer = decodePeer(value);
    if (peer === null) return new TableEntrySummary(key, []);
    return new TableEntrySummary(key, [
      new Tuple2<string, string>('address', peer.address),
      new Tuple2<string, string>('mac', peer.mac),
      new Tuple2<string, string>('vtep', peer.vtep),
    ]);
  }

  /** The node's own discovery gives this node's VTEP; other nodes need nothing until they have endpoints. */
  discoverNew(discovery: Discovery): WitError | null {
    if (discovery.tag != DiscoveryTag.Node) return null;
    const node = discovery.node!;
    if (!node.self) return null;
    if (parseIPv4(node.address) < 0)
      return invalidParameter(`overlay driver: advertise address ${node.address} is not an IPv4 address`);
    const known = storeGetString(SELF_VTEP);
    if (known !== null && known != node.address)
      logWarn(`overlay driver: this node's VTEP changes from ${known} to ${node.address} for new networks`);
    return storeSetString(SELF_VTEP, node.address);
  }

  /** A node that left takes its peers with it, on every network, before its rows' delete events come. */
  discoverDelete(discovery: Discovery): WitError | null {
    if (discovery.tag != DiscoveryTag.Node || discovery.node!.self) return null;
    const gone = discovery.node!.address;
    const keys = Store.keys('peer/');
    for (let i = 0; i < keys.length; i++) {
      const stored = Store.get(keys[i]);
      const peer = stored !== null ? decodePeer(stored) : null;
      if (peer === null || peer.vtep != gone) continue;
      // peer/<network id>/<endpoint id>
      const rest = keys[i].substring('peer/'.length);
      const slash = rest.indexOf('/');
      const networkId = rest.substring(0, slash);
      const vxlan = storeGetString(networkKey(networkId, 'vxlan'));
      if (vxlan !== null) forgetPeer(networkId, rest.substring(slash + 1), vxlan);
    }
    return null;
  }
}

/** Removes a programmed peer's neighbour and FDB entries (gone already is fine). */
function forgetPeer(networkId: string, endpointId: string, vxlan: string): void {
  const key = peerKey(networkId, endpointId);
  const stored = Store.get(key);
  if (stored === null) return;
  const peer = decodePeer(stored);
  if (peer !== null) {
    Netlink.neighDel(Netns.host(), new Neighbour(vxlan, peer.ip(), peer.mac));
    Netlink.fdbDel(Netns.host(), new FdbEntry(vxlan, peer.mac, peer.vtep));
  }
  Store.delete_(key);
}

registerDriver('overlay', new OverlayDriver(), new Capability(Scope.Global, Scope.Global, ExternalConnectivity.None));
