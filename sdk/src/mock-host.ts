// An in-process host for driver unit tests: every import of the network-driver and
// ipam-driver worlds, recording what the driver asked for. No root, no kernel.
import {
  type HostError,
  witError,
  type Capability,
  type IpamCapability,
  type LinkInfo,
  type Netns,
} from './wit-values.js';
import type { ComponentImports } from './component.js';
import {
  applyHostCall,
  HOST_IMPORT_FUNCTIONS,
  type HostCall,
  type HostImports,
  type HostOp,
  type HostRules,
} from './generated/wit/host-imports.js';

type FirewallRule = Parameters<HostImports['firewall']['addRule']>[0];

/** One netlink request as the driver made it. */
export interface NetlinkCall {
  op: string;
  ns: Netns;
  args: unknown[];
}

export interface Registration<C> {
  name: string;
  handle: number;
  capability: C;
}

/** driverapi.NetworkInfo, lent to create-network. */
export class MockNetworkInfo {
  readonly tables: { tableName: string; objectType: string }[] = [];
  tableEventRegister(tableName: string, objectType: string): void {
    this.tables.push({ tableName, objectType });
  }
}

/** driverapi.InterfaceInfo, lent to create-endpoint: start it with what IPAM assigned. */
export class MockInterfaceInfo {
  mac: string | undefined;
  ipv4: string | undefined;
  ipv6: string | undefined;
  constructor(init: { mac?: string; address?: string; addressIpv6?: string } = {}) {
    this.mac = init.mac;
    this.ipv4 = init.address;
    this.ipv6 = init.addressIpv6;
  }
  setMacAddress(mac: string): void {
    if (this.mac !== undefined) throw witError('forbidden', `endpoint already has MAC ${this.mac}`);
    this.mac = mac;
  }
  setIpAddress(cidr: string): void {
    const v6 = cidr.includes(':');
    if ((v6 ? this.ipv6 : this.ipv4) !== undefined)
      throw witError('forbidden', `endpoint already has an IPv${v6 ? 6 : 4} address`);
    if (v6) this.ipv6 = cidr;
    else this.ipv4 = cidr;
  }
  macAddress(): string | undefined {
    return this.mac;
  }
  address(): string | undefined {
    return this.ipv4;
  }
  addressIpv6(): string | undefined {
    return this.ipv6;
  }
}

export class MockInterfaceNameInfo {
  constructor(private readonly join: MockJoinInfo) {}
  setNames(srcName: string, dstPrefix: string): void {
    this.join.names = { srcName, dstPrefix };
  }
}

/** driverapi.JoinInfo, lent to join: collects every set-* call. */
export class MockJoinInfo {
  names: { srcName: string; dstPrefix: string } | undefined;
  gateway: string | undefined;
  gatewayIpv6: string | undefined;
  gatewayServiceDisabled = false;
  readonly staticRoutes: { destination: string; routeType: string; nextHop: string | undefined }[] = [];
  readonly tableEntries: { tableName: string; key: string; value: Uint8Array }[] = [];
  interfaceName(): MockInterfaceNameInfo {
    return new MockInterfaceNameInfo(this);
  }
  setGateway(ip: string): void {
    this.gateway = ip;
  }
  setGatewayIpv6(ip: string): void {
    this.gatewayIpv6 = ip;
  }
  addStaticRoute(destination: string, routeType: string, nextHop: string | undefined): void {
    this.staticRoutes.push({ destination, routeType, nextHop });
  }
  disableGatewayService(): void {
    this.gatewayServiceDisabled = true;
  }
  addTableEntry(tableName: string, key: string, value: Uint8Array): void {
    this.tableEntries.push({ tableName, key, value });
  }
}

type NetlinkOp = HostOp<'netlink'>;

export class MockHost {
  readonly netlink: NetlinkCall[] = [];
  /** Every firewall request, in order, and the rules in force after them. */
  readonly firewallCalls: Array<{ op: HostOp<'firewall'>; rule: FirewallRule }> = [];
  firewallRules: FirewallRule[] = [];
  readonly store = new Map<string, Uint8Array>();
  readonly logs: { level: string; message: string }[] = [];
  readonly drivers: Registration<Capability>[] = [];
  readonly ipamDrivers: Registration<IpamCapability>[] = [];
  /** Links the driver created, per namespace key ("host" or the sandbox key). */
  readonly links = new Map<string, Map<string, LinkInfo>>();
  /**
   * Neighbour and FDB entries in force, per namespace key and link: "IP MAC" and "MAC DESTINATION"
   * (DESTINATION "-" when none). A link's entries go with it, as in the kernel.
   */
  readonly neighbours = new Map<string, Map<string, Set<string>>>();
  readonly fdb = new Map<string, Map<string, Set<string>>>();
  private readonly failures = new Map<NetlinkOp, HostError>();
  private nextIndex = 100;

  /** Make the next call of `op` fail with `tag` (e.g. to test a driver's error path). */
  failNext(op: NetlinkOp, tag: Parameters<typeof witError>[0], message: string): void {
    this.failures.set(op, witError(tag, message));
  }

  /** A link the host has and no driver made (a physical link, a parent a network's options name). */
  addHostLink(name: string): LinkInfo {
    const info: LinkInfo = { index: this.nextIndex++, name, kind: 'device', mtu: 1500, up: true };
    this.linksIn({ tag: 'host' }).set(name, info);
    return info;
  }

  /** The netlink requests of one kind. */
  calls(op: NetlinkOp): NetlinkCall[] {
    return this.netlink.filter((call) => call.op === op);
  }

  imports(): ComponentImports {
    return {
      'wasmnet:driver/log': { log: (level: string, message: string) => void this.logs.push({ level, message }) },
      'wasmnet:driver/store': {
        get: (key: string) => this.store.get(key),
        set: (key: string, value: Uint8Array) => void this.store.set(key, Uint8Array.from(value)),
        delete: (key: string) => void this.store.delete(key),
        keys: (prefix: string) => [...this.store.keys()].filter((k) => k.startsWith(prefix)).sort(),
      },
      'wasmnet:driver/netlink': this.netlinkImports(),
      'wasmnet:driver/firewall': {
        addRule: (rule) => {
          this.firewallCalls.push({ op: 'addRule', rule });
          const key = JSON.stringify(rule);
          if (!this.firewallRules.some((held) => JSON.stringify(held) === key)) this.firewallRules.push(rule);
        },
        removeRule: (rule) => {
          this.firewallCalls.push({ op: 'removeRule', rule });
          const key = JSON.stringify(rule);
          this.firewallRules = this.firewallRules.filter((held) => JSON.stringify(held) !== key);
        },
      } satisfies HostImports['firewall'],
      'wasmnet:driver/driver-callback': {
        registerDriver: (name: string, handle: number, capability: Capability) => {
          if (this.drivers.some((d) => d.name === name))
            throw witError('forbidden', `driver ${name} is already registered`);
          this.drivers.push({ name, handle, capability });
        },
      },
      'wasmnet:driver/ipam-callback': {
        registerIpamDriver: (name: string, handle: number, capability: IpamCapability) => {
          this.ipamDrivers.push({ name, handle, capability });
        },
      },
      'wasmnet:driver/resources': {
        NetworkInfo: MockNetworkInfo,
        InterfaceInfo: MockInterfaceInfo,
        InterfaceNameInfo: MockInterfaceNameInfo,
        JoinInfo: MockJoinInfo,
      },
      'wasmnet:driver/types': {},
    };
  }

  private netlinkImports(): HostImports['netlink'] {
    const answers = this.answers();
    const served = HOST_IMPORT_FUNCTIONS.netlink.map((op) => [
      op,
      (...args: unknown[]) => {
        this.netlink.push({ op, ns: args[0] as Netns, args: args.slice(1) });
        const failure = this.failures.get(op);
        if (failure !== undefined) {
          this.failures.delete(op);
          throw failure;
        }
        return applyHostCall<'netlink', unknown>(answers, { op, args } as HostCall<'netlink'>);
      },
    ]);
    return Object.fromEntries(served) as HostImports['netlink'];
  }

  /** What the fake kernel answers to each request: links are remembered so that get/list/del behave. */
  private answers(): HostRules<'netlink', unknown> {
    const done = (): void => undefined;
    return {
      linkAdd: (ns, spec) => {
        // A macvlan may be created in another namespace than its parent's, as the host does.
        const links = this.linksIn(spec.kind.tag === 'macvlan' && spec.kind.val.netns ? spec.kind.val.netns : ns);
        if (links.has(spec.name)) throw witError('forbidden', `link ${spec.name} exists`);
        const info: LinkInfo = {
          index: this.nextIndex++,
          name: spec.name,
          kind: spec.kind.tag,
          mtu: spec.mtu ?? 1500,
          up: spec.up,
          mac: spec.mac,
          master: spec.master,
        };
        links.set(spec.name, info);
        if (spec.kind.tag === 'veth') {
          // The peer exists too, where it was asked for (the request's namespace when none).
          const peer = spec.kind.val;
          const index = this.nextIndex++;
          this.linksIn(peer.netns ?? ns).set(peer.name, {
            ...info,
            index,
            name: peer.name,
            mac: peer.mac,
            master: undefined,
          });
        }
        return info.index;
      },
      linkDel: (ns, name) => {
        this.existingLink(ns, name);
        this.linksIn(ns).delete(name);
        this.neighbours.get(nsKey(ns))?.delete(name);
        this.fdb.get(nsKey(ns))?.delete(name);
      },
      linkGet: (ns, name) => this.existingLink(ns, name),
      linkList: (ns) => [...this.linksIn(ns).values()],
      addrList: (ns, link) =>
        this.calls('addrAdd')
          .filter((call) => nsKey(call.ns) === nsKey(ns) && (call.args[0] as { link: string }).link === link)
          .map((call) => (call.args[0] as { cidr: string }).cidr),
      linkSet: done,
      addrAdd: done,
      addrDel: done,
      routeAdd: done,
      routeDel: done,
      neighAdd: (ns, { link, ip, mac }) => void this.entriesOf(this.neighbours, ns, link).add(`${ip} ${mac}`),
      neighDel: (ns, { link, ip, mac }) => this.removeEntry(this.neighbours, ns, link, `${ip} ${mac}`),
      fdbAdd: (ns, { link, mac, destination }) =>
        void this.entriesOf(this.fdb, ns, link).add(`${mac} ${destination ?? '-'}`),
      fdbDel: (ns, { link, mac, destination }) => this.removeEntry(this.fdb, ns, link, `${mac} ${destination ?? '-'}`),
      sysctlSet: done,
    };
  }

  /** The entries of one link, which must exist (a delete of an entry that is absent is not refused). */
  private entriesOf(table: Map<string, Map<string, Set<string>>>, ns: Netns, link: string): Set<string> {
    this.existingLink(ns, link);
    let links = table.get(nsKey(ns));
    if (links === undefined) {
      links = new Map();
      table.set(nsKey(ns), links);
    }
    let entries = links.get(link);
    if (entries === undefined) {
      entries = new Set();
      links.set(link, entries);
    }
    return entries;
  }

  private removeEntry(table: Map<string, Map<string, Set<string>>>, ns: Netns, link: string, entry: string): void {
    this.entriesOf(table, ns, link).delete(entry);
  }

  private existingLink(ns: Netns, name: string): LinkInfo {
    const link = this.linksIn(ns).get(name);
    if (link === undefined) throw witError('not-found', `no link ${name}`);
    return link;
  }

  private linksIn(ns: Netns): Map<string, LinkInfo> {
    const key = nsKey(ns);
    let links = this.links.get(key);
    if (links === undefined) {
      links = new Map();
      this.links.set(key, links);
    }
    return links;
  }
}

function nsKey(ns: Netns): string {
  return ns.tag === 'host' ? 'host' : `sandbox:${ns.val}`;
}
