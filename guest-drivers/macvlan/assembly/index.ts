// libnetwork's `macvlan` driver as a wasmnet guest: each endpoint's interface is a macvlan on the
// network's parent link (`-o parent=IFACE`), created directly inside the sandbox it joins (no
// move), in the network's mode. Addresses and the gateway come from IPAM: the gateway is a
// router on the parent's network, not on the host, and internal networks get none.
import {
  Box,
  Capability,
  Driver,
  ExternalConnectivity,
  ENABLE_IPV6,
  INTERFACE_NAME,
  INTERNAL,
  InterfaceInfo,
  IpamData,
  JoinInfo,
  LinkKind,
  LinkSpec,
  MAC_ADDRESS,
  MTU,
  MacvlanConfig,
  Netlink,
  Netns,
  NetworkInfo,
  Options,
  Result,
  Scope,
  Store,
  Tuple2,
  WitError,
  WitErrorTag,
  errorMessage,
  invalidParameter,
  ipOf,
  logInfo,
  macFromIPv4,
  notFound,
  optionBool,
  optionString,
  registerDriver,
  storeDeletePrefix,
  storeGetString,
  storeSetString,
} from '@wasmnet/sdk';
import { MODE, PARENT, checkEndpointOptions, checkNetworkOptions, modeOf } from './options';

function networkKey(networkId: string, field: string): string {
  return `net/${networkId}/${field}`;
}
function endpointKey(endpointId: string, field: string): string {
  return `ep/${endpointId}/${field}`;
}
/** Which network uses a parent: libnetwork's macvlan gives each parent to one network. */
function parentKey(parent: string): string {
  return `parent/${parent}`;
}
/**
 * The interface's name: the one the host offers (its final name in the sandbox, so the host need
 * not rename it), else a temporary one the host renames (eth0, ...).
 */
function interfaceName(endpointId: string, options: Options): string {
  const offered = optionString(options, INTERFACE_NAME);
  return offered !== null ? offered : `mv${endpointId.substring(0, 13)}`;
}
function firstGateway(data: IpamData[]): string {
  for (let i = 0; i < data.length; i++) {
    const gateway = data[i].gateway;
    if (gateway !== null) return ipOf(gateway);
  }
  return '';
}

class MacvlanDriver extends Driver {
  createNetwork(
    networkId: string,
    options: Options,
    info: NetworkInfo,
    ipv4Data: IpamData[],
    ipv6Data: IpamData[],
  ): WitError | null {
    const refused = checkNetworkOptions(options);
    if (refused !== null) return refused;
    if (ipv4Data.length == 0) return invalidParameter('macvlan driver: the network needs an IPv4 pool');
    const parent = optionString(options, PARENT)!;
    const user = storeGetString(parentKey(parent));
    if (user !== null && user != networkId)
      return invalidParameter(
        `macvlan driver: network ${user.substring(0, 12)} is already using parent interface ${parent}`,
      );
    // The host lets a driver read a parent its network's options name, and nothing else of the host's.
    const link = Netlink.linkGet(Netns.host(), parent);
    if (!link.isOk) {
      if (link.error!.tag != WitErrorTag.NotFound && !errorMessage(link.error!).includes('ENODEV')) return link.error;
      const vlan = parent.includes('.') ? ' (VLAN sub-interfaces are not created by this driver)' : '';
      return notFound(`macvlan driver: parent interface ${parent} does not exist${vlan}`);
    }
    const mode = optionString(options, MODE);
    const mtu = optionString(options, MTU);
    const internal = optionBool(options, INTERNAL, false);
    const ipv6 = optionBool(options, ENABLE_IPV6, false);
    storeSetString(parentKey(parent), networkId);
    storeSetString(networkKey(networkId, 'parent'), parent);
    storeSetString(networkKey(networkId, 'mode'), mode !== null && mode.length > 0 ? mode : 'bridge');
    storeSetString(networkKey(networkId, 'mtu'), mtu !== null ? mtu : '');
    storeSetString(networkKey(networkId, 'gateway'), internal ? '' : firstGateway(ipv4Data));
    storeSetString(networkKey(networkId, 'gateway6'), internal || !ipv6 ? '' : firstGateway(ipv6Data));
    logInfo(`network ${networkId.substring(0, 12)}: macvlan on ${parent} (index ${link.value.index})`);
    return null;
  }

  deleteNetwork(networkId: string): WitError | null {
    const parent = storeGetString(networkKey(networkId, 'parent'));
    if (parent === null) return notFound(`macvlan driver: network ${networkId} not found`);
    if (storeGetString(parentKey(parent)) == networkId) Store.delete_(parentKey(parent));
    storeDeletePrefix(`net/${networkId}/`);
    return null;
  }

  createEndpoint(networkId: string, endpointId: string, iface: InterfaceInfo, options: Options): WitError | null {
    const mode = storeGetString(networkKey(networkId, 'mode'));
    if (mode === null) return notFound(`macvlan driver: network ${networkId} not found`);
    const refused = checkEndpointOptions(options);
    if (refused !== null) return refused;
    let mac = iface.macAddress();
    if (mode == 'passthru') {
      // A passthru macvlan takes its parent's MAC; setting another would change the parent's.
      if (mac !== null) return invalidParameter("macvlan driver: a passthru endpoint takes its parent's MAC address");
      return storeSetString(endpointKey(endpointId, 'mac'), '');
    }
    if (mac === null) {
      const address = iface.address();
      mac = address !== null ? macFromIPv4(ipOf(address)) : null;
      if (mac !== null) {
        const error = iface.setMacAddress(mac);
        if (error !== null) return error;
      }
    }
    return storeSetString(endpointKey(endpointId, 'mac'), mac !== null ? mac : '');
  }

  deleteEndpoint(networkId: string, endpointId: string): WitError | null {
    storeDeletePrefix(`ep/${endpointId}/`);
    return null;
  }

  endpointOperInfo(networkId: string, endpointId: string): Result<Options, WitError> {
    const mac = storeGetString(endpointKey(endpointId, 'mac'));
    if (mac === null)
      return Result.err<Options, WitError>(notFound(`macvlan driver: endpoint ${endpointId} not found`));
    const info: Options = [];
    if (mac.length > 0) info.push(new Tuple2<string, string>(MAC_ADDRESS, mac));
    return Result.ok<Options, WitError>(info);
  }

  join(networkId: string, endpointId: string, sandboxKey: string, info: JoinInfo, options: Options): WitError | null {
    const parent = storeGetString(networkKey(networkId, 'parent'));
    if (parent === null) return notFound(`macvlan driver: network ${networkId} not found`);
    const refused = checkEndpointOptions(options);
    if (refused !== null) return refused;
    const mode = storeGetString(networkKey(networkId, 'mode'))!;
    const mtuText = storeGetString(networkKey(networkId, 'mtu'));
    const mtu: Box<u32> | null =
      mtuText !== null && mtuText.length > 0 ? new Box<u32>(<u32>I32.parseInt(mtuText)) : null;
    const mac = storeGetString(endpointKey(endpointId, 'mac'));
    const name = interfaceName(endpointId, options);
    const sandbox = Netns.sandbox(sandboxKey);
    // Made in the sandbox by the host's one request, on the parent in the host namespace.
    const config = new MacvlanConfig(parent, modeOf(mode), sandbox);
    const added = Netlink.linkAdd(
      Netns.host(),
      new LinkSpec(name, LinkKind.macvlan(config), mtu, mac !== null && mac.length > 0 ? mac : null, null, false),
    );
    if (!added.isOk) return joinRefusal(parent, mode, added.error!);
    const names = info.interfaceName();
    let error = names.setNames(name, 'eth');
    names.drop();
    const gateway = storeGetString(networkKey(networkId, 'gateway'));
    if (error === null && gateway !== null && gateway.length > 0) error = info.setGateway(gateway);
    const gateway6 = storeGetString(networkKey(networkId, 'gateway6'));
    if (error === null && gateway6 !== null && gateway6.length > 0) error = info.setGatewayIpv6(gateway6);
    if (error !== null) {
      Netlink.linkDel(sandbox, name); // roll back
      return error;
    }
    return null;
  }

  /** The host removes the interface from the sandbox (or the whole namespace). */
  leave(networkId: string, endpointId: string): WitError | null {
    return null;
  }
}

/** The kernel's refusals, said in the driver's terms. */
function joinRefusal(parent: string, mode: string, error: WitError): WitError {
  const message = errorMessage(error);
  if (message.includes('ENODEV')) return notFound(`macvlan driver: parent interface ${parent} does not exist`);
  if (mode == 'passthru' && message.includes('EINVAL'))
    return invalidParameter(
      `macvlan driver: parent interface ${parent} already has a passthru macvlan (one per parent)`,
    );
  return error;
}

// Local data, global connectivity: as libnetwork's macvlan, whose containers sit on the parent's network.
registerDriver('macvlan', new MacvlanDriver(), new Capability(Scope.Local, Scope.Global, ExternalConnectivity.None));
