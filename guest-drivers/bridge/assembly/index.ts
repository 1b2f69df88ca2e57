// libnetwork's `bridge` driver as a wasmnet guest: a Linux bridge per network holding the
// gateway address, and per endpoint a veth pair whose container end is created directly in
// the sandbox (no move), named by the host as eth0, eth1, ...
import {
  Address,
  Box,
  Capability,
  ExternalConnectivity,
  Driver,
  Firewall,
  Forwarding,
  InterfaceInfo,
  IpamData,
  JoinInfo,
  LinkKind,
  LinkSpec,
  Netlink,
  Netns,
  NetworkInfo,
  Options,
  PublishedPort,
  Result,
  Rule,
  Masquerade,
  Scope,
  Store,
  Tuple2,
  WitError,
  addSandboxVeth,
  ENABLE_IPV6,
  INTERNAL,
  MAC_ADDRESS,
  MTU,
  PORT_MAP,
  errorMessage,
  invalidParameter,
  ipOf,
  isNotFound,
  logInfo,
  macFromIPv4,
  notFound,
  optionBool,
  optionString,
  parseCidr,
  registerDriver,
  sandboxVethName,
  storeDeletePrefix,
  storeGetString,
  storeSetString,
} from '@wasmnet/sdk';
import { BRIDGE_NAME, ENABLE_ICC, ENABLE_MASQUERADE, checkEndpointOptions, checkNetworkOptions } from './options';
import { parsePortMap } from './ports';

/** The kernel refuses a bridge's 1024th port (BR_MAX_PORTS). */
const MAX_PORTS = 1023;

function networkKey(networkId: string, field: string): string {
  return `net/${networkId}/${field}`;
}
function endpointKey(endpointId: string, field: string): string {
  return `ep/${endpointId}/${field}`;
}
/** A locally administered MAC from the endpoint id, when the endpoint has no IPv4 address. */
function macFromId(endpointId: string): string {
  let mac = '02:42';
  for (let i = 0; i < 8; i += 2) mac += `:${endpointId.length >= i + 2 ? endpointId.substring(i, i + 2) : '00'}`;
  return mac;
}
/**
 * The bridge's own MAC, locally administered (06:...) and derived from the network id. Without
 * it the kernel gives the bridge its lowest port's MAC, which changes as ports come and go and
 * leaves the sandboxes' cached gateway MAC stale.
 */
function bridgeMac(networkId: string): string {
  let hash: u64 = 0xcbf29ce484222325; // FNV-1a
  for (let i = 0; i < networkId.length; i++) {
    hash ^= <u64>networkId.charCodeAt(i);
    hash *= 0x100000001b3;
  }
  let mac = '06';
  for (let i = 0; i < 5; i++) {
    const byte = <u32>((hash >> <u64>(8 * i)) & 0xff);
    mac += `:${byte < 16 ? '0' : ''}${byte.toString(16)}`;
  }
  return mac;
}
class BridgeDriver extends Driver {
  networkAllocate(
    networkId: string,
    options: Options,
    ipv4Data: IpamData[],
    ipv6Data: IpamData[],
  ): Result<Options, WitError> {
    return Result.ok<Options, WitError>([]);
  }

  networkFree(networkId: string): WitError | null {
    return null;
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
    if (networkId.length < 12) return invalidParameter(`bridge driver: network id ${networkId} is too short`);
    const named = optionString(options, BRIDGE_NAME);
    const bridge = named !== null ? named : `br-${networkId.substring(0, 12)}`;
    const mtuText = optionString(options, MTU);
    const mtu: Box<u32> | null = mtuText !== null ? new Box<u32>(<u32>I32.parseInt(mtuText)) : null;
    const ipv6 = optionBool(options, ENABLE_IPV6, false);

    const made = Netlink.linkAdd(
      Netns.host(),
      new LinkSpec(bridge, LinkKind.bridge(), mtu, bridgeMac(networkId), null, true),
    );
    if (!made.isOk) return made.error;
    let error = this.addGateways(bridge, ipv4Data);
    if (error === null && ipv6) error = this.addGateways(bridge, ipv6Data);
    const rules = error === null ? networkRules(bridge, options, ipv4Data) : ([] as Rule[]);
    const added: Rule[] = [];
    for (let i = 0; error === null && i < rules.length; i++) {
      error = Firewall.addRule(rules[i]);
      if (error === null) added.push(rules[i]);
    }
    if (error !== null) {
      // Roll back: nothing half-made stays behind.
      for (let i = 0; i < added.length; i++) Firewall.removeRule(added[i]);
      Netlink.linkDel(Netns.host(), bridge);
      return error;
    }
    storeSetString(networkKey(networkId, 'bridge'), bridge);
    storeSetString(networkKey(networkId, 'mtu'), mtuText !== null ? mtuText : '');
    storeSetString(networkKey(networkId, 'internal'), optionBool(options, INTERNAL, false) ? 'true' : 'false');
    storeSetString(networkKey(networkId, 'gateway'), this.firstGateway(ipv4Data));
    storeSetString(networkKey(networkId, 'gateway6'), ipv6 ? this.firstGateway(ipv6Data) : '');
    logInfo(`network ${networkId.substring(0, 12)}: bridge ${bridge} (index ${made.value})`);
    return null;
  }

  /** The network's firewall rules go with it: the host removes them. */
  deleteNetwork(networkId: string): WitError | null {
    const bridge = storeGetString(networkKey(networkId, 'bridge'));
    if (bridge === null) return notFound(`bridge driver: network ${networkId} not found`);
    const error = Netlink.linkDel(Netns.host(), bridge);
    if (error !== null && !isNotFound(error)) return error;
    storeDeletePrefix(`net/${networkId}/`);
    return null;
  }

  createEndpoint(networkId: string, endpointId: string, iface: InterfaceInfo, options: Options): WitError | null {
    if (storeGetString(networkKey(networkId, 'bridge')) === null)
      return notFound(`bridge driver: network ${networkId} not found`);
    const refused = checkEndpointOptions(options, storeGetString(networkKey(networkId, 'internal')) == 'true');
    if (refused !== null) return refused;
    const address = iface.address();
    if (address !== null) storeSetString(endpointKey(endpointId, 'ip'), ipOf(address));
    let mac = iface.macAddress();
    if (mac === null) {
      mac = address !== null ? macFromIPv4(ipOf(address)) : null;
      if (mac === null) mac = macFromId(endpointId);
      const error = iface.setMacAddress(mac);
      if (error !== null) return error;
    }
    return storeSetString(endpointKey(endpointId, 'mac'), mac);
  }

  deleteEndpoint(networkId: string, endpointId: string): WitError | null {
    storeDeletePrefix(`ep/${endpointId}/`);
    return null;
  }

  endpointOperInfo(networkId: string, endpointId: string): Result<Options, WitError> {
    const mac = storeGetString(endpointKey(endpointId, 'mac'));
    if (mac === null) return Result.err<Options, WitError>(notFound(`bridge driver: endpoint ${endpointId} not found`));
    const info: Options = [new Tuple2<string, string>(MAC_ADDRESS, mac)];
    const published = storeGetString(endpointKey(endpointId, 'published'));
    if (published !== null) info.push(new Tuple2<string, string>(PORT_MAP, published));
    return Result.ok<Options, WitError>(info);
  }

  join(networkId: string, endpointId: string, sandboxKey: string, info: JoinInfo, options: Options): WitError | null {
    const bridge = storeGetString(networkKey(networkId, 'bridge'));
    if (bridge === null) return notFound(`bridge driver: network ${networkId} not found`);
    // The sandbox's options: their ports are published in ProgramExternalConnectivity, from
    // its own options when the caller gives them there, else from these.
    const refused = checkEndpointOptions(options, storeGetString(networkKey(networkId, 'internal')) == 'true');
    if (refused !== null) return refused;
    const portMap = optionString(options, PORT_MAP);
    storeSetString(endpointKey(endpointId, 'portmap'), portMap !== null ? portMap : '');
    const mtuText = storeGetString(networkKey(networkId, 'mtu'));
    const mtu: Box<u32> | null =
      mtuText !== null && mtuText.length > 0 ? new Box<u32>(<u32>I32.parseInt(mtuText)) : null;
    const added = addSandboxVeth(
      endpointId,
      sandboxKey,
      options,
      storeGetString(endpointKey(endpointId, 'mac')),
      mtu,
      bridge,
    );
    if (!added.isOk) {
      const message = errorMessage(added.error!);
      if (message.includes('EXFULL')) {
        return invalidParameter(`bridge driver: bridge ${bridge} has reached the kernel's limit of ${MAX_PORTS} ports`);
      }
      return added.error;
    }
    const names = info.interfaceName();
    let error = names.setNames(sandboxVethName(endpointId, options), 'eth');
    names.drop();
    if (error === null && storeGetString(networkKey(networkId, 'internal')) != 'true') {
      const gateway = storeGetString(networkKey(networkId, 'gateway'));
      if (gateway !== null && gateway.length > 0) error = info.setGateway(ipOf(gateway));
      const gateway6 = storeGetString(networkKey(networkId, 'gateway6'));
      if (error === null && gateway6 !== null && gateway6.length > 0) error = info.setGatewayIpv6(ipOf(gateway6));
    }
    if (error !== null) {
      Netlink.linkDel(Netns.host(), added.value); // roll back the pair
      return error;
    }
    return null;
  }

  leave(networkId: string, endpointId: string): WitError | null {
    // The host removes the sandbox's interface (or the whole namespace) and the veth's host end
    // goes with it: deleting it here would add a second link delete, which is slow in the kernel.
    Store.delete_(endpointKey(endpointId, 'portmap'));
    return null;
  }

  programExternalConnectivity(networkId: string, endpointId: string, options: Options): WitError | null {
    const bridge = storeGetString(networkKey(networkId, 'bridge'));
    if (bridge === null) return notFound(`bridge driver: network ${networkId} not found`);
    const refused = checkEndpointOptions(options, storeGetString(networkKey(networkId, 'internal')) == 'true');
    if (refused !== null) return refused;
    const given = optionString(options, PORT_MAP);
    const atJoin = storeGetString(endpointKey(endpointId, 'portmap'));
    const portMap = given !== null ? given : atJoin !== null ? atJoin : '';
    const rules = publishRules(bridge, storeGetString(endpointKey(endpointId, 'ip')), portMap);
    if (!rules.isOk) return rules.error;
    const added: Rule[] = [];
    for (let i = 0; i < rules.value.length; i++) {
      const error = Firewall.addRule(rules.value[i]);
      if (error !== null) {
        for (let j = 0; j < added.length; j++) Firewall.removeRule(added[j]);
        return error;
      }
      added.push(rules.value[i]);
    }
    if (added.length > 0) storeSetString(endpointKey(endpointId, 'published'), portMap);
    return null;
  }

  revokeExternalConnectivity(networkId: string, endpointId: string): WitError | null {
    const bridge = storeGetString(networkKey(networkId, 'bridge'));
    const published = storeGetString(endpointKey(endpointId, 'published'));
    if (bridge === null || published === null) return null;
    const rules = publishRules(bridge, storeGetString(endpointKey(endpointId, 'ip')), published);
    if (!rules.isOk) return rules.error;
    for (let i = 0; i < rules.value.length; i++) {
      const error = Firewall.removeRule(rules.value[i]);
      if (error !== null) return error;
    }
    return Store.delete_(endpointKey(endpointId, 'published'));
  }

  private addGateways(bridge: string, data: IpamData[]): WitError | null {
    for (let i = 0; i < data.length; i++) {
      const gateway = data[i].gateway;
      if (gateway === null) continue;
      if (parseCidr(gateway) === null) return invalidParameter(`bridge driver: gateway ${gateway} is not a CIDR`);
      const error = Netlink.addrAdd(Netns.host(), new Address(bridge, gateway, true));
      if (error !== null) return error;
    }
    return null;
  }

  private firstGateway(data: IpamData[]): string {
    for (let i = 0; i < data.length; i++) {
      const gateway = data[i].gateway;
      if (gateway !== null) return gateway;
    }
    return '';
  }
}

/**
 * A network's rules, as libnetwork's bridge sets them up: forwarding accepted (only between its
 * own ports when internal), its IPv4 pools masqueraded unless internal or turned off, isolation
 * from the other bridge networks, and inter-container traffic dropped when ICC is off.
 */
function networkRules(bridge: string, options: Options, ipv4Data: IpamData[]): Rule[] {
  const internal = optionBool(options, INTERNAL, false);
  const rules: Rule[] = [];
  rules.push(Rule.acceptForwarding(new Forwarding(bridge, !internal)));
  if (!internal && optionBool(options, ENABLE_MASQUERADE, true)) {
    for (let i = 0; i < ipv4Data.length; i++) rules.push(Rule.masquerade(new Masquerade(ipv4Data[i].pool, bridge)));
  }
  rules.push(Rule.isolate(bridge));
  if (!optionBool(options, ENABLE_ICC, true)) rules.push(Rule.dropInterContainer(bridge));
  return rules;
}

/** The rules publishing an endpoint's ports (none without an IPv4 address to publish to). */
function publishRules(bridge: string, ip: string | null, portMap: string): Result<Rule[], WitError> {
  const bindings = parsePortMap(portMap);
  if (!bindings.isOk) return Result.err<Rule[], WitError>(bindings.error!);
  const rules: Rule[] = [];
  if (bindings.value.length == 0) return Result.ok<Rule[], WitError>(rules);
  if (ip === null)
    return Result.err<Rule[], WitError>(
      invalidParameter('bridge driver: the endpoint has no IPv4 address to publish ports to'),
    );
  for (let i = 0; i < bindings.value.length; i++) {
    const b = bindings.value[i];
    rules.push(Rule.publish(new PublishedPort(bridge, b.protocol, b.hostIp, b.hostPort, ip, b.containerPort)));
  }
  return Result.ok<Rule[], WitError>(rules);
}

// Forwarding, NAT, isolation and published ports, through the host's firewall import.
registerDriver('bridge', new BridgeDriver(), new Capability(Scope.Local, Scope.Local, ExternalConnectivity.Ports));
