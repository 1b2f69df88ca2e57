// A hostile AssemblyScript driver (built with the SDK by test/security/drivers.ts). A network
// names its attack in its options (`attack`, with `count`, `size`, `sysctl`, `value`, `link`);
// CreateNetwork only records it (and makes the network's bridge when `link` is set, named `name`
// when given), so the attack runs in CreateEndpoint and a refused attack leaves nothing half-made.
//   store:  `count` values of `size` bytes under keys of the endpoint
//   log:    `count` warn lines of `size` bytes
//   sysctl: sets `sysctl` to `value` host-wide, or on the network's bridge with `link`
//   mac:    sets a MAC address of `size` bytes
//   firewall: adds the `rule` (masquerade of `subnet`, publish of host port `port` to the
//           endpoint's address, forward) on `bridge` (default: the network's own), in Join
//           (a call that may make rules), or in CreateEndpoint with `phase` = endpoint
//   address: adds the address `cidr` on the network's bridge (`link`) in the host namespace
//   route:  adds a route to `cidr` (`default`: none) through the network's bridge in the host namespace
//   links:  creates `count` bridges in the host namespace, then fails (in CreateNetwork with `stage`
//           `network`, which fails the network; with `count` 0 it only fails)
//   macvlan: creates a macvlan on the parent link `value`; with `into` in Join instead, inside the
//           sandbox `into` (`joined`: the one it is joining)
//   read:   reads the host-namespace link `value` (a parent its network names, or not)
//   loop:   never returns;  trap: traps;  memory: allocates until its memory cap traps it
//   foreign: deletes the host-namespace link `value` (the host's `lo`, another driver's bridge)
//   neigh / fdb: adds (with `op` del: deletes) the permanent neighbour `ip` -> `mac`, or the FDB
//           entry `mac` -> VTEP `vtep`, on the host-namespace link `value` (the network's bridge
//           when empty: its own link)
import {
  Address, Capability, Driver, ExternalConnectivity, FdbEntry, Firewall, Forwarding, InterfaceInfo, IpamData, JoinInfo, Level, LinkKind,
  LinkSpec, Log, MacvlanConfig, MacvlanMode, Masquerade, Neighbour, Netlink, Netns, NetworkInfo, Options, Protocol, PublishedPort, Route,
  RouteScope,
  Rule, Scope, Store, Sysctl, WitError, internalError, invalidParameter, optionBool, optionString, optionU32,
  registerDriver,
} from '@wasmnet/sdk';

const NAME = 'hostile';

class Attack {
  constructor(
    public kind: string,
    public count: u32,
    public size: u32,
    public sysctl: string,
    public value: string,
    public link: bool,
    public options: Options,
    public cidr: string,
  ) {}
}

const attacks = new Map<string, Attack>();
/** Endpoint id → its IPv4 address (no prefix), for a publish to point at. */
const addresses = new Map<string, string>();

/** Network id → the name its bridge was given (option `name`), when not the default one. */
const bridgeNames = new Map<string, string>();

function bridgeName(networkId: string): string {
  return bridgeNames.has(networkId) ? bridgeNames.get(networkId) : `hs-${networkId.substring(0, 8)}`;
}

function sysctlOf(name: string): i32 {
  if (name == 'ip-forward') return Sysctl.IpForward;
  if (name == 'ipv6-forwarding') return Sysctl.Ipv6Forwarding;
  if (name == 'disable-ipv6') return Sysctl.DisableIpv6;
  if (name == 'proxy-arp') return Sysctl.ProxyArp;
  if (name == 'accept-ra') return Sysctl.AcceptRa;
  if (name == 'arp-ignore') return Sysctl.ArpIgnore;
  if (name == 'rp-filter') return Sysctl.RpFilter;
  return -1;
}

function storeAttack(endpointId: string, attack: Attack): WitError | null {
  const value = new Uint8Array(attack.size);
  for (let i: u32 = 0; i < attack.count; i++) {
    const error = Store.set(`${endpointId}/${i}`, value);
    if (error !== null) return error;
  }
  return null;
}

function logAttack(attack: Attack): WitError | null {
  const line = 'x'.repeat(attack.size);
  for (let i: u32 = 0; i < attack.count; i++) Log.log(Level.Warn, line);
  return null;
}

function sysctlAttack(networkId: string, attack: Attack): WitError | null {
  const key = sysctlOf(attack.sysctl);
  if (key < 0) return invalidParameter(`unknown sysctl ${attack.sysctl}`);
  return Netlink.sysctlSet(Netns.host(), <Sysctl>key, attack.link ? bridgeName(networkId) : null, attack.value);
}

function firewallRule(networkId: string, endpointId: string, attack: Attack): Rule | null {
  const named = optionString(attack.options, 'bridge');
  const bridge = named !== null ? named : bridgeName(networkId);
  const rule = optionString(attack.options, 'rule');
  if (rule == 'masquerade') {
    const subnet = optionString(attack.options, 'subnet');
    return Rule.masquerade(new Masquerade(subnet !== null ? subnet : '', bridge));
  }
  if (rule == 'publish') {
    const ip = addresses.has(endpointId) ? addresses.get(endpointId) : '';
    const port = <u16>optionU32(attack.options, 'port', 8080);
    return Rule.publish(new PublishedPort(bridge, Protocol.Tcp, null, port, ip, 80));
  }
  if (rule == 'forward') return Rule.acceptForwarding(new Forwarding(bridge, true));
  return null;
}

function firewallAttack(networkId: string, endpointId: string, attack: Attack): WitError | null {
  const rule = firewallRule(networkId, endpointId, attack);
  if (rule === null) return invalidParameter('unknown firewall rule');
  return Firewall.addRule(rule);
}

function neighbourAttack(networkId: string, attack: Attack): WitError | null {
  const link = attack.value.length > 0 ? attack.value : bridgeName(networkId);
  const remove = optionString(attack.options, 'op') == 'del';
  const ip = optionString(attack.options, 'ip') || '10.254.0.9';
  const mac = optionString(attack.options, 'mac') || '02:42:de:ad:be:ef';
  if (attack.kind == 'neigh') {
    const entry = new Neighbour(link, ip, mac);
    return remove ? Netlink.neighDel(Netns.host(), entry) : Netlink.neighAdd(Netns.host(), entry);
  }
  const entry = new FdbEntry(link, mac, optionString(attack.options, 'vtep'));
  return remove ? Netlink.fdbDel(Netns.host(), entry) : Netlink.fdbAdd(Netns.host(), entry);
}

function linksAttack(id: string, attack: Attack): WitError | null {
  for (let i: u32 = 0; i < attack.count; i++) {
    const added = Netlink.linkAdd(Netns.host(), new LinkSpec(`h${i}-${id.substring(0, 8)}`, LinkKind.bridge(), null, null, null, false));
    if (!added.isOk) return added.error;
  }
  return internalError(`made ${attack.count} links, then failed`);
}

class Hostile extends Driver {
  createNetwork(networkId: string, options: Options, info: NetworkInfo, ipv4: IpamData[], ipv6: IpamData[]): WitError | null {
    const kind = optionString(options, 'attack');
    const attack = new Attack(
      kind === null ? '' : kind,
      optionU32(options, 'count', 1),
      optionU32(options, 'size', 1),
      optionString(options, 'sysctl') || '',
      optionString(options, 'value') || '',
      optionBool(options, 'link', false),
      options,
      optionString(options, 'cidr') || '',
    );
    const name = optionString(options, 'name');
    if (name !== null) bridgeNames.set(networkId, name);
    if (attack.link) {
      const added = Netlink.linkAdd(Netns.host(), new LinkSpec(bridgeName(networkId), LinkKind.bridge(), null, null, null, true));
      if (!added.isOk) return added.error;
    }
    if (attack.kind == 'links' && optionString(options, 'stage') == 'network') return linksAttack(networkId, attack);
    attacks.set(networkId, attack);
    return null;
  }

  deleteNetwork(networkId: string): WitError | null {
    const attack = attacks.has(networkId) ? attacks.get(networkId) : null;
    attacks.delete(networkId);
    if (attack !== null && attack.link) return Netlink.linkDel(Netns.host(), bridgeName(networkId));
    return null;
  }

  createEndpoint(networkId: string, endpointId: string, iface: InterfaceInfo, options: Options): WitError | null {
    if (!attacks.has(networkId)) return null;
    const attack = attacks.get(networkId);
    if (attack.kind == 'store') return storeAttack(endpointId, attack);
    if (attack.kind == 'log') return logAttack(attack);
    if (attack.kind == 'sysctl') return sysctlAttack(networkId, attack);
    if (attack.kind == 'mac') return iface.setMacAddress('x'.repeat(attack.size));
    if (attack.kind == 'links') return linksAttack(endpointId, attack);
    if (attack.kind == 'loop') while (attacks.has(networkId)) attack.count++;
    // Spends its time in host imports, which its deadline does not count: the call's cap stops it.
    if (attack.kind == 'host-loop')
      while (attacks.has(networkId)) {
        Netlink.linkList(Netns.host());
        attack.count++;
      }
    if (attack.kind == 'trap') unreachable();
    if (attack.kind == 'memory') {
      const chunks: Uint8Array[] = [];
      while (attacks.has(networkId)) chunks.push(new Uint8Array(1 << 20));
    }
    if (attack.kind == 'foreign') return Netlink.linkDel(Netns.host(), attack.value);
    if (attack.kind == 'neigh' || attack.kind == 'fdb') return neighbourAttack(networkId, attack);
    if (attack.kind == 'read') {
      const read = Netlink.linkGet(Netns.host(), attack.value);
      return read.isOk ? null : read.error;
    }
    if (attack.kind == 'macvlan' && optionString(attack.options, 'into') === null) {
      const macvlan = LinkKind.macvlan(new MacvlanConfig(attack.value, MacvlanMode.Bridge, null));
      const added = Netlink.linkAdd(Netns.host(), new LinkSpec(`hm-${endpointId.substring(0, 8)}`, macvlan, null, null, null, false));
      return added.isOk ? null : added.error;
    }
    if (attack.kind == 'address') return Netlink.addrAdd(Netns.host(), new Address(bridgeName(networkId), attack.cidr, true));
    if (attack.kind == 'route') {
      const destination: string | null = attack.cidr == 'default' ? null : attack.cidr;
      return Netlink.routeAdd(Netns.host(), new Route(destination, null, bridgeName(networkId), RouteScope.Link));
    }
    if (attack.kind == 'firewall') {
      const address = iface.address();
      if (address !== null) addresses.set(endpointId, address.substring(0, address.indexOf('/')));
      if (optionString(attack.options, 'phase') == 'endpoint') return firewallAttack(networkId, endpointId, attack);
    }
    return null;
  }

  deleteEndpoint(networkId: string, endpointId: string): WitError | null {
    addresses.delete(endpointId);
    return null;
  }

  /** Joins without an interface; a firewall attack runs here unless it runs in CreateEndpoint. */
  join(networkId: string, endpointId: string, sandboxKey: string, info: JoinInfo, options: Options): WitError | null {
    if (!attacks.has(networkId)) return null;
    const attack = attacks.get(networkId);
    if (attack.kind == 'firewall' && optionString(attack.options, 'phase') != 'endpoint')
      return firewallAttack(networkId, endpointId, attack);
    const into = optionString(attack.options, 'into');
    if (attack.kind == 'macvlan' && into !== null) {
      const target = Netns.sandbox(into == 'joined' ? sandboxKey : into);
      const macvlan = LinkKind.macvlan(new MacvlanConfig(attack.value, MacvlanMode.Bridge, target));
      const added = Netlink.linkAdd(Netns.host(), new LinkSpec(`hm-${endpointId.substring(0, 8)}`, macvlan, null, null, null, false));
      return added.isOk ? null : added.error;
    }
    return null;
  }

  leave(networkId: string, endpointId: string): WitError | null {
    return null;
  }
}

registerDriver(NAME, new Hostile(), new Capability(Scope.Local, Scope.Local, ExternalConnectivity.None));
