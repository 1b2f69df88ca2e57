// A test double of a network DRIVER (not of the controller): an in-process TypeScript driver
// that implements the runtime's `Driver` interface with real plumbing in the test's host
// namespace — a bridge per network, a veth per join with its peer created inside the sandbox.
// Failures can be injected per method; every call is logged for assertions.
import type { Driver, InterfaceData, JoinEffects, NetworkInfoEffects } from '../../host/drivers/index.js';
import { Internal } from '../../host/drivers/index.js';
import type { Discovery, EventType, IpamData, Options } from '../../host/drivers/api.js';
import { openNetns, Rtnl, type Netns } from '../../host/netlink/index.js';

export type Method =
  | 'createNetwork'
  | 'deleteNetwork'
  | 'createEndpoint'
  | 'deleteEndpoint'
  | 'join'
  | 'leave'
  | 'programExternalConnectivity'
  | 'revokeExternalConnectivity'
  | 'eventNotify'
  | 'endpointOperInfo';

interface NetworkState {
  bridge: string;
  gateway?: string;
  internal: boolean;
}

export class TestBridgeDriver implements Driver {
  readonly calls: Array<{ method: Method; args: unknown[] }> = [];
  readonly events: Array<{ event: EventType; networkId: string; tableName: string; key: string; value: string }> = [];
  readonly failOn = new Set<Method>();
  /** Tables registered in CreateNetwork; each join adds an entry keyed by the endpoint id. */
  tables: string[] = [];
  /** Join names a link that does not exist (the plumbing then fails). */
  badSrcName = false;
  readonly networks = new Map<string, NetworkState>();
  readonly endpoints = new Map<string, InterfaceData>();
  readonly #rtnl: Rtnl;

  constructor(host: Netns) {
    this.#rtnl = new Rtnl(host);
  }

  count(method: Method): number {
    return this.calls.filter((call) => call.method === method).length;
  }

  #enter(method: Method, args: unknown[]): void {
    this.calls.push({ method, args });
    if (this.failOn.has(method)) throw new Internal(`injected ${method} failure`);
  }

  async createNetwork(networkId: string, options: Options, ipv4Data: IpamData[]): Promise<NetworkInfoEffects> {
    this.#enter('createNetwork', [networkId, options, ipv4Data]);
    const bridge = `tb${networkId.slice(0, 12)}`;
    const internal = options.some(([key, value]) => key === 'com.docker.network.internal' && value === 'true');
    this.#rtnl.linkAdd({ name: bridge, kind: { tag: 'bridge' }, up: true });
    const gateway = ipv4Data[0]?.gateway;
    if (gateway !== undefined) this.#rtnl.addrAdd({ link: bridge, cidr: gateway, nodad: true });
    this.networks.set(networkId, {
      bridge,
      internal,
      ...(gateway === undefined ? {} : { gateway: gateway.split('/')[0] as string }),
    });
    return { tables: this.tables.map((tableName) => ({ tableName, objectType: 'endpoint' })) };
  }

  async deleteNetwork(networkId: string): Promise<void> {
    this.#enter('deleteNetwork', [networkId]);
    const network = this.networks.get(networkId);
    if (network !== undefined) this.#rtnl.linkDel(network.bridge);
    this.networks.delete(networkId);
  }

  async createEndpoint(networkId: string, endpointId: string, iface: InterfaceData): Promise<InterfaceData> {
    this.#enter('createEndpoint', [networkId, endpointId, iface]);
    const mac = iface.mac ?? macOf(iface.address);
    const result = { ...iface, ...(mac === undefined ? {} : { mac }) };
    this.endpoints.set(endpointId, result);
    return result;
  }

  async deleteEndpoint(networkId: string, endpointId: string): Promise<void> {
    this.calls.push({ method: 'deleteEndpoint', args: [networkId, endpointId] });
    this.endpoints.delete(endpointId);
    if (this.failOn.has('deleteEndpoint')) throw new Internal('injected deleteEndpoint failure');
  }

  async endpointOperInfo(networkId: string, endpointId: string): Promise<Options> {
    this.#enter('endpointOperInfo', [networkId, endpointId]);
    const mac = this.endpoints.get(endpointId)?.mac;
    return mac === undefined ? [] : [['com.docker.network.endpoint.macaddress', mac]];
  }

  async join(networkId: string, endpointId: string, sandboxKey: string): Promise<JoinEffects> {
    this.#enter('join', [networkId, endpointId, sandboxKey]);
    const network = this.networks.get(networkId);
    if (network === undefined) throw new Internal(`no network ${networkId}`);
    const peer = `tp${endpointId.slice(0, 12)}`;
    this.#rtnl.linkAdd({
      name: `tv${endpointId.slice(0, 12)}`,
      kind: { tag: 'veth', val: { name: peer, netns: openNetns(sandboxKey) } },
      master: network.bridge,
      up: true,
    });
    const effects: JoinEffects = {
      names: { srcName: this.badSrcName ? 'nosuchlink0' : peer, dstPrefix: 'eth' },
      staticRoutes: [],
      disableGatewayService: network.internal,
      tableEntries: this.tables.map((tableName) => ({
        tableName,
        key: endpointId,
        value: new TextEncoder().encode(this.endpoints.get(endpointId)?.address ?? ''),
      })),
    };
    if (!network.internal && network.gateway !== undefined) effects.gateway = network.gateway;
    return effects;
  }

  async leave(networkId: string, endpointId: string): Promise<void> {
    this.#enter('leave', [networkId, endpointId]);
    try {
      this.#rtnl.linkDel(`tv${endpointId.slice(0, 12)}`);
    } catch {
      // gone with the sandbox's namespace already
    }
  }

  async programExternalConnectivity(networkId: string, endpointId: string): Promise<void> {
    this.#enter('programExternalConnectivity', [networkId, endpointId]);
  }

  async revokeExternalConnectivity(networkId: string, endpointId: string): Promise<void> {
    this.#enter('revokeExternalConnectivity', [networkId, endpointId]);
  }

  async eventNotify(
    event: EventType,
    networkId: string,
    tableName: string,
    key: string,
    value: Uint8Array,
  ): Promise<void> {
    this.#enter('eventNotify', [event, networkId, tableName, key]);
    this.events.push({ event, networkId, tableName, key, value: new TextDecoder().decode(value) });
  }

  async networkAllocate(_networkId: string): Promise<Options> {
    return [];
  }

  async networkFree(_networkId: string): Promise<void> {}

  async decodeTableEntry(_tableName: string, key: string): Promise<{ name: string; fields: Options }> {
    return { name: key, fields: [] };
  }

  async discoverNew(_discovery: Discovery): Promise<void> {}

  async discoverDelete(_discovery: Discovery): Promise<void> {}

  type(): string {
    return 'bridge';
  }
}

/** libnetwork's MAC from an IPv4 address: 02:42 and the four bytes of the address. */
function macOf(cidr: string | undefined): string | undefined {
  if (cidr === undefined) return undefined;
  const bytes = (cidr.split('/')[0] as string).split('.').map((part) => Number(part).toString(16).padStart(2, '0'));
  return ['02', '42', ...bytes].join(':');
}
