// libnetwork's endpoint: addresses from IPAM, an interface from its driver, joined to at most
// one sandbox at a time.
import { excerpt } from '../excerpt.js';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { toOptions, withUndo, type Context } from './context.js';
import type { InterfaceData } from './driver-api.js';
import {
  ActiveContainerError,
  asNetworkError,
  EndpointExistsError,
  ForbiddenError,
  InvalidParameterError,
  NoSuchEndpointError,
} from './errors.js';
import { assignAddress, tolerate } from './ipam-alloc.js';
import { joinSandbox, leaveSandbox } from './join.js';
import { lockKey } from './locks.js';
import type { EndpointOptions, EndpointRecord, JoinOptions } from './model.js';
import type { Network } from './network.js';
import type { Sandbox } from './sandbox.js';
import { ipOf } from './cidr.js';
import { linkOperation } from '../drivers/index.js';

/** Labels of letters, digits, '-' and '_' (Docker's names have them), dot-separated. */
const DNS_NAME = /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/;

/** netlabel.MacAddress: what driverInfo() always reports. */
export const MAC_ADDRESS = 'com.docker.network.endpoint.macaddress';

export interface EndpointInfo {
  id: string;
  name: string;
  networkId: string;
  macAddress?: string;
  /** Names its container also has on this network (`--alias`). */
  aliases?: string[];
  /** CIDRs. */
  ipv4Address?: string;
  ipv6Address?: string;
  gateway?: string;
  gatewayIpv6?: string;
  sandboxKey?: string;
  /** The interface's name in the sandbox. */
  interfaceName?: string;
  /** A handed-over interface (JoinOptions.handOver): its name in the host namespace, and the prefix to name it with. */
  handedOver?: { srcName: string; dstPrefix: string };
  staticRoutes: Array<{ destination: string; routeType: string; nextHop?: string }>;
}

export class Endpoint {
  /** @internal networks create endpoints */
  constructor(
    private readonly ctx: Context,
    readonly network: Network,
    readonly record: EndpointRecord,
  ) {}

  /** @internal */
  static async create(ctx: Context, network: Network, name: string, options: EndpointOptions): Promise<Endpoint> {
    if (name.trim() === '') throw new InvalidParameterError('an endpoint needs a name');
    if (network.endpointByName(name) !== undefined) throw new EndpointExistsError(name, network.name());
    if (options.ipv4Address !== undefined && isIP(options.ipv4Address) !== 4)
      throw new InvalidParameterError(`invalid IPv4 address ${excerpt(options.ipv4Address)}`);
    if (options.ipv6Address !== undefined && isIP(options.ipv6Address) !== 6)
      throw new InvalidParameterError(`invalid IPv6 address ${excerpt(options.ipv6Address)}`);
    if (options.ipv6Address !== undefined && !network.record.enableIPv6)
      throw new InvalidParameterError(`network ${network.name()} does not have IPv6 enabled`);
    if (options.macAddress !== undefined && !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(options.macAddress))
      throw new InvalidParameterError(`invalid MAC address ${excerpt(options.macAddress)}`);
    const mac = options.macAddress?.toLowerCase();
    // Two interfaces with one MAC on one L2 segment steal each other's traffic.
    const holder = mac === undefined ? undefined : network.endpoints().find((endpoint) => endpoint.record.mac === mac);
    if (holder !== undefined)
      throw new ForbiddenError(`MAC address ${mac} is taken by endpoint ${holder.name()}`, 'mac-in-use');
    const badAlias = options.aliases?.find((alias) => !DNS_NAME.test(alias) || alias.length > 253);
    if (badAlias !== undefined) throw new InvalidParameterError(`invalid alias ${excerpt(badAlias)}: not a DNS name`);
    const driver = ctx.driver(network.type());
    const ipam = ctx.ipam(network.record.ipamDriver);
    const id = randomBytes(32).toString('hex');
    const record: EndpointRecord = {
      id,
      name,
      networkId: network.id(),
      options: { ...options.options },
      ...(options.aliases === undefined || options.aliases.length === 0
        ? {}
        : { aliases: [...new Set(options.aliases)] }),
      state: 'creating',
    };
    if (mac !== undefined) record.mac = mac;
    return withUndo(ctx.warn, async (undo) => {
      ctx.store.endpoints.put(id, record);
      undo.push('forget the endpoint', () => ctx.store.endpoints.delete(id));
      if (network.record.ipv4.length > 0) {
        const v4 = await assignAddress(ipam, network.record.ipv4, options.ipv4Address, undo);
        record.address = v4.address;
        record.poolV4 = v4.poolId;
      }
      if (network.record.ipv6.length > 0) {
        const v6 = await assignAddress(ipam, network.record.ipv6, options.ipv6Address, undo);
        record.addressIpv6 = v6.address;
        record.poolV6 = v6.poolId;
      }
      // A CreateEndpoint that failed half way may have left plumbing behind: DeleteEndpoint cleans
      // it, then the host removes whatever of it is left.
      undo.push('remove what CreateEndpoint made', () => ctx.links?.sweep(linkOperation.endpoint(id)));
      undo.push('driver DeleteEndpoint', () => driver.deleteEndpoint(network.id(), id));
      let result;
      try {
        result = await driver.createEndpoint(network.id(), id, interfaceData(record), toOptions(record.options));
      } catch (error) {
        throw asNetworkError(error, `driver ${network.type()} CreateEndpoint`);
      }
      if (result.mac !== undefined) record.mac = result.mac;
      if (result.address !== undefined) record.address = result.address;
      if (result.addressIpv6 !== undefined) record.addressIpv6 = result.addressIpv6;
      record.state = 'ready';
      ctx.store.endpoints.put(id, record);
      return new Endpoint(ctx, network, record);
    });
  }

  id(): string {
    return this.record.id;
  }

  name(): string {
    return this.record.name;
  }

  /** The sandbox this endpoint is joined to. */
  sandbox(): Sandbox | undefined {
    const id = this.record.join?.sandboxId;
    return id === undefined ? undefined : this.ctx.sandboxes.get(id);
  }

  info(): EndpointInfo {
    const r = this.record;
    const effects = r.join?.effects;
    const info: EndpointInfo = {
      id: r.id,
      name: r.name,
      networkId: r.networkId,
      staticRoutes: structuredClone(effects?.staticRoutes ?? []),
    };
    if (r.mac !== undefined) info.macAddress = r.mac;
    if (r.aliases !== undefined) info.aliases = [...r.aliases];
    if (r.address !== undefined) info.ipv4Address = r.address;
    if (r.addressIpv6 !== undefined) info.ipv6Address = r.addressIpv6;
    if (effects?.gateway !== undefined) info.gateway = effects.gateway;
    if (effects?.gatewayIpv6 !== undefined) info.gatewayIpv6 = effects.gatewayIpv6;
    const sandbox = this.sandbox();
    if (sandbox !== undefined) info.sandboxKey = sandbox.key();
    if (r.join !== undefined && r.join.dstName !== '') info.interfaceName = r.join.dstName;
    if (r.join?.handedOver !== undefined) info.handedOver = { ...r.join.handedOver };
    return info;
  }

  /** The driver's EndpointOperInfo, with the endpoint's MAC address always present. */
  async driverInfo(): Promise<Record<string, string>> {
    let options;
    try {
      options = await this.ctx.driver(this.network.type()).endpointOperInfo(this.network.id(), this.id());
    } catch (error) {
      throw asNetworkError(error, `driver ${this.network.type()} EndpointOperInfo`);
    }
    const info = Object.fromEntries(options);
    if (info[MAC_ADDRESS] === undefined && this.record.mac !== undefined) info[MAC_ADDRESS] = this.record.mac;
    return info;
  }

  /** Locks the endpoint and the sandbox (libnetwork serializes a sandbox's joins and leaves). */
  join(sandbox: Sandbox, options: JoinOptions = {}): Promise<void> {
    return this.ctx.locked([lockKey.endpoint(this.id()), lockKey.sandbox(sandbox.id())], async () => {
      this.#assertLive();
      sandbox.assertLive();
      await joinSandbox(this.ctx, this, sandbox, options);
    });
  }

  leave(sandbox: Sandbox): Promise<void> {
    return this.ctx.locked([lockKey.endpoint(this.id()), lockKey.sandbox(sandbox.id())], async () => {
      this.#assertLive();
      await leaveSandbox(this.ctx, this, sandbox);
    });
  }

  /** Deletes an endpoint that is not joined (libnetwork's ActiveContainerError otherwise). */
  delete(): Promise<void> {
    return this.ctx.locked([lockKey.network(this.network.id()), lockKey.endpoint(this.id())], async () => {
      this.#assertLive();
      if (this.record.join !== undefined) throw new ActiveContainerError(this.name(), this.id());
      const driver = this.ctx.driver(this.network.type());
      this.record.state = 'deleting';
      this.ctx.store.endpoints.put(this.id(), this.record);
      try {
        await driver.deleteEndpoint(this.network.id(), this.id());
      } catch (error) {
        this.record.state = 'ready';
        this.ctx.store.endpoints.put(this.id(), this.record);
        throw asNetworkError(error, `driver ${this.network.type()} DeleteEndpoint`);
      }
      this.network.forget(this);
      await releaseAddresses(this.ctx, this.network, this.record);
      this.ctx.store.endpoints.delete(this.id());
      await this.network.releaseClusterClaim();
    });
  }

  #assertLive(): void {
    if (this.network.endpointById(this.id()) !== this) throw new NoSuchEndpointError(this.name());
  }
}

/** What CreateEndpoint tells the driver of the endpoint's interface: its MAC and addresses, when known. */
export function interfaceData(record: EndpointRecord): InterfaceData {
  return {
    ...(record.mac === undefined ? {} : { mac: record.mac }),
    ...(record.address === undefined ? {} : { address: record.address }),
    ...(record.addressIpv6 === undefined ? {} : { addressIpv6: record.addressIpv6 }),
  };
}

/** Gives the endpoint's addresses back to IPAM (failures warned). */
export async function releaseAddresses(
  ctx: Context,
  network: Network,
  record: EndpointRecord,
  warn = ctx.warn,
): Promise<void> {
  const ipam = ctx.ipam(network.record.ipamDriver);
  if (record.address !== undefined && record.poolV4 !== undefined) {
    const { address, poolV4 } = record;
    await tolerate(() => ipam.releaseAddress(poolV4, ipOf(address)), `release ${address}`, warn);
  }
  if (record.addressIpv6 !== undefined && record.poolV6 !== undefined) {
    const { addressIpv6, poolV6 } = record;
    await tolerate(() => ipam.releaseAddress(poolV6, ipOf(addressIpv6)), `release ${addressIpv6}`, warn);
  }
}
