// A network's pools, gateways and aux addresses, and an endpoint's addresses, as libnetwork's
// ipamAllocate/assignAddress do them. Every allocation pushes its release onto `undo`.
import { excerpt } from '../excerpt.js';
import { isIP } from 'node:net';
import { contains, ipOf, parseCidr, withMaskOf } from './cidr.js';
import type { Undo } from './context.js';
import { asNetworkError, ForbiddenError, InvalidParameterError, ipamCode, NoServiceError } from './errors.js';
import { GATEWAY_ADDRESS_TYPE, REQUEST_ADDRESS_TYPE, type Ipam } from './ipam-api.js';
import type { IpamConfig, PoolRecord } from './model.js';

export interface PoolsRequest {
  global: boolean;
  enableIPv6: boolean;
  configs: IpamConfig[];
  options: Record<string, string>;
  /** What a dynamic pool must not overlap: host routes and nameservers. */
  exclude: () => string[];
  /** The host's own addresses (CIDRs): an explicit subnet must hold none. */
  hostAddresses: () => string[];
  /**
   * A global network another node created: that node holds its aux addresses in the cluster's
   * IPAM, so here they are recorded, not requested (a second request is refused as taken).
   */
  adopted?: boolean;
}

export async function allocatePools(
  ipam: Ipam,
  request: PoolsRequest,
  undo: Undo,
): Promise<{ ipv4: PoolRecord[]; ipv6: PoolRecord[] }> {
  for (const config of request.configs) checkConfig(config);
  const v6Configs = request.configs.filter((config) => config.subnet !== undefined && parseCidr(config.subnet).v6);
  const v4Configs = request.configs.filter((config) => !v6Configs.includes(config));
  if (v6Configs.length > 0 && !request.enableIPv6)
    throw new InvalidParameterError('an IPv6 subnet was given but IPv6 is not enabled on the network');
  const spaces = await call(() => ipam.getDefaultAddressSpaces(), 'IPAM address spaces');
  const addressSpace = request.global ? spaces.globalDefaultAddressSpace : spaces.localDefaultAddressSpace;
  const allocation: PoolAllocation = { ipam, addressSpace, request, undo };
  const ipv4: PoolRecord[] = [];
  for (const config of v4Configs.length > 0 ? v4Configs : [{}])
    ipv4.push(await allocatePool(allocation, config, false));
  const ipv6: PoolRecord[] = [];
  if (request.enableIPv6) {
    for (const config of v6Configs.length > 0 ? v6Configs : [{}])
      ipv6.push(await allocatePool(allocation, config, true));
  }
  // After IPAM: a subnet another network holds is an overlap first (the undo releases the pools).
  checkHostAddresses(request);
  return { ipv4, ipv6 };
}

function checkConfig(config: IpamConfig): void {
  if (config.subnet === undefined) {
    if (
      config.ipRange !== undefined ||
      config.gateway !== undefined ||
      Object.keys(config.auxAddresses ?? {}).length > 0
    ) {
      throw new InvalidParameterError('an IPAM config with ipRange, gateway or auxAddresses needs a subnet');
    }
    return;
  }
  const subnet = parseCidr(config.subnet);
  // A single address cannot be both the network's gateway and an endpoint's address.
  if (subnet.prefix === (subnet.v6 ? 128 : 32))
    throw new InvalidParameterError(`subnet ${config.subnet} holds one address: no room for a gateway and an endpoint`);
  if (config.ipRange !== undefined && parseCidr(config.ipRange).v6 !== subnet.v6)
    throw new InvalidParameterError(`ipRange ${config.ipRange} and subnet ${config.subnet} are of different families`);
  for (const [what, ip] of [['gateway', config.gateway], ...Object.entries(config.auxAddresses ?? {})] as Array<
    [string, string | undefined]
  >) {
    if (ip === undefined) continue;
    if (isIP(ip) === 0) throw new InvalidParameterError(`invalid ${what} address ${excerpt(ip)}`);
    if (!contains(config.subnet, ip)) {
      throw new InvalidParameterError(
        what === 'gateway'
          ? `gateway ${ip} is not in subnet ${config.subnet}`
          : `auxiliary address: (${what}:${ip}) must belong to the master pool: ${config.subnet}`,
      );
    }
  }
}

/** A subnet holding one of the host's addresses would hand it to a bridge or a container. */
function checkHostAddresses(request: PoolsRequest): void {
  const subnets = request.configs.flatMap((config) => (config.subnet === undefined ? [] : [config.subnet]));
  if (subnets.length === 0) return;
  for (const address of request.hostAddresses().map(ipOf)) {
    const holder = subnets.find((subnet) => contains(subnet, address));
    if (holder !== undefined)
      throw new ForbiddenError(`subnet ${holder} holds the host's address ${address}`, 'host-address');
  }
}

/** What every pool of one network is allocated with. */
interface PoolAllocation {
  ipam: Ipam;
  addressSpace: string;
  request: PoolsRequest;
  undo: Undo;
}

async function allocatePool(
  { ipam, addressSpace, request, undo }: PoolAllocation,
  config: IpamConfig,
  v6: boolean,
): Promise<PoolRecord> {
  const pool = await call(
    () =>
      ipam.requestPool({
        addressSpace,
        ...(config.subnet === undefined ? { exclude: request.exclude() } : { pool: config.subnet }),
        ...(config.ipRange === undefined ? {} : { subPool: config.ipRange }),
        options: request.options,
        v6,
      }),
    `IPAM pool ${config.subnet ?? (v6 ? 'IPv6' : 'IPv4')}`,
  );
  undo.push(`release pool ${pool.pool}`, () => ipam.releasePool(pool.poolId));
  const record: PoolRecord = { addressSpace, poolId: pool.poolId, pool: pool.pool, auxAddresses: {} };
  if (config.ipRange !== undefined) record.subPool = config.ipRange;
  const gateway = await call(
    () => ipam.requestAddress(pool.poolId, config.gateway, { [REQUEST_ADDRESS_TYPE]: GATEWAY_ADDRESS_TYPE }),
    `gateway of ${pool.pool}`,
  );
  undo.push(`release gateway ${gateway.address}`, () => ipam.releaseAddress(pool.poolId, ipOf(gateway.address)));
  record.gateway = gateway.address;
  if (request.adopted === true) record.auxHeldByCreator = true;
  for (const [name, ip] of Object.entries(config.auxAddresses ?? {})) {
    if (request.adopted !== true) {
      await call(() => ipam.requestAddress(pool.poolId, ip, {}), `auxiliary address ${name} (${ip})`);
      undo.push(`release aux address ${ip}`, () => ipam.releaseAddress(pool.poolId, ip));
    }
    record.auxAddresses[name] = withMaskOf(ip, pool.pool);
  }
  return record;
}

/** Releases what allocatePools took; each failure is warned, never thrown. */
export async function releasePools(ipam: Ipam, pools: PoolRecord[], warn: (message: string) => void): Promise<void> {
  for (const pool of pools) {
    const aux = pool.auxHeldByCreator === true ? [] : Object.values(pool.auxAddresses);
    const addresses = [...aux, ...(pool.gateway === undefined ? [] : [pool.gateway])];
    for (const address of addresses)
      await tolerate(() => ipam.releaseAddress(pool.poolId, ipOf(address)), `release ${address}`, warn);
    await tolerate(() => ipam.releasePool(pool.poolId), `release pool ${pool.pool}`, warn);
  }
}

/**
 * An endpoint's address of one family (libnetwork's assignAddress): the preferred address from
 * the pool holding it, or the first free one, moving to the next pool when one is full.
 */
export async function assignAddress(
  ipam: Ipam,
  pools: PoolRecord[],
  preferred: string | undefined,
  undo: Undo,
): Promise<{ address: string; poolId: string }> {
  const candidates = preferred === undefined ? pools : pools.filter((pool) => contains(pool.pool, preferred));
  if (preferred !== undefined && candidates.length === 0)
    throw new InvalidParameterError(`address ${excerpt(preferred)} is in none of the network's pools`);
  for (const pool of candidates) {
    try {
      const { address } = await ipam.requestAddress(pool.poolId, preferred, {});
      undo.push(`release ${address}`, () => ipam.releaseAddress(pool.poolId, ipOf(address)));
      return { address, poolId: pool.poolId };
    } catch (error) {
      if (ipamCode(error) !== 'ErrNoAvailableIPs') throw asNetworkError(error, 'IPAM address');
    }
  }
  throw new NoServiceError(
    `no available ${pools[0] !== undefined && parseCidr(pools[0].pool).v6 ? 'IPv6' : 'IPv4'} addresses on this network's address pools`,
  );
}

async function call<T>(request: () => Promise<T>, context: string): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw asNetworkError(error, context);
  }
}

export async function tolerate(
  action: () => Promise<unknown>,
  label: string,
  warn: (message: string) => void,
): Promise<void> {
  try {
    await action();
  } catch (error) {
    warn(`${label} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
