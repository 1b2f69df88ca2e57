// The __NAME__ network driver: one veth pair per endpoint, the peer created directly in the
// sandbox. Build: `npm run build`; test: `npm test` (no root needed).
import {
  Capability,
  ExternalConnectivity,
  Driver,
  InterfaceInfo,
  IpamData,
  JoinInfo,
  NetworkInfo,
  LinkKind,
  LinkSpec,
  Netlink,
  Netns,
  Options,
  Scope,
  VethPeer,
  WitError,
  invalidParameter,
  macFromIPv4,
  parseCidr,
  registerDriver,
} from '@wasmnet/sdk';

/** Host-side veth name of an endpoint (names are at most 15 bytes). */
function hostVeth(endpointId: string): string {
  return `veth${endpointId.substring(0, 7)}`;
}

class __CLASS__ extends Driver {
  createNetwork(
    networkId: string,
    options: Options,
    info: NetworkInfo,
    ipv4: IpamData[],
    ipv6: IpamData[],
  ): WitError | null {
    return null;
  }

  deleteNetwork(networkId: string): WitError | null {
    return null;
  }

  createEndpoint(networkId: string, endpointId: string, iface: InterfaceInfo, options: Options): WitError | null {
    const address = iface.address();
    if (address === null) return invalidParameter('an IPv4 address is required');
    const cidr = parseCidr(address);
    if (cidr === null) return invalidParameter(`bad address ${address}`);
    if (iface.macAddress() !== null) return null;
    return iface.setMacAddress(macFromIPv4(cidr.address)!);
  }

  deleteEndpoint(networkId: string, endpointId: string): WitError | null {
    return null;
  }

  join(networkId: string, endpointId: string, sandboxKey: string, info: JoinInfo, options: Options): WitError | null {
    const peer = new VethPeer(`tmp${endpointId.substring(0, 7)}`, Netns.sandbox(sandboxKey), null);
    const spec = new LinkSpec(hostVeth(endpointId), LinkKind.veth(peer), null, null, null, true);
    const added = Netlink.linkAdd(Netns.host(), spec);
    if (!added.isOk) return added.error;
    const names = info.interfaceName();
    const error = names.setNames(peer.name, 'eth');
    names.drop();
    return error;
  }

  leave(networkId: string, endpointId: string): WitError | null {
    return Netlink.linkDel(Netns.host(), hostVeth(endpointId));
  }
}

registerDriver('__NAME__', new __CLASS__(), new Capability(Scope.Local, Scope.Local, ExternalConnectivity.None));
