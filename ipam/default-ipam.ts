// libnetwork's default IPAM: two address spaces, predefined pools, a bitmap per IPv4 pool and a
// run set per IPv6 pool. Every call runs to completion synchronously inside its promise, so
// concurrent callers are serialised by the event loop and never share an address. State is
// in memory only: after a restart the caller replays its pools and addresses with preferred
// values (requiresRequestReplay).
import {
  GATEWAY_ADDRESS_TYPE,
  REQUEST_ADDRESS_TYPE,
  SERIAL_OPTION,
  type AddressResponse,
  type AddressSpaces,
  type Capabilities,
  type Ipam,
  type PoolRequest,
  type PoolResponse,
} from './api.js';
import { IpamError } from './errors.js';
import { AddressSpace, type PoolView } from './pools.js';
import {
  DEFAULT_GLOBAL_POOLS,
  DEFAULT_LOCAL_POOLS,
  PredefinedPools,
  randomUlaPool,
  type PoolBase,
} from './predefined.js';
import { parsePoolRequest, noFreePool, spaceOf, unknownPool } from './pool-request.js';
import { formatPrefix } from './prefix.js';

export const LOCAL_DEFAULT = 'LocalDefault';
export const GLOBAL_DEFAULT = 'GlobalDefault';

export interface DefaultIpamOptions {
  /** Pools of the local address space (dockerd's --default-address-pool). */
  defaultAddressPools?: PoolBase[];
  /** Pools of the global address space. */
  globalAddressPools?: PoolBase[];
  /**
   * The IPv6 local default when `defaultAddressPools` has no IPv6 entry: a ULA /48 split into
   * /64s. `true` (the default) draws a random RFC 4193 /48, a string gives the /48, `false` none.
   */
  ula?: boolean | string;
}

export class DefaultIpam implements Ipam {
  private readonly spaces = new Map<string, { pools: AddressSpace; predefined: PredefinedPools }>();

  constructor(options: DefaultIpamOptions = {}) {
    const local = [...(options.defaultAddressPools ?? DEFAULT_LOCAL_POOLS)];
    const ula = options.ula ?? true;
    if (ula !== false && !new PredefinedPools(local).hasFamily(true)) {
      local.push(typeof ula === 'string' ? { base: ula, size: 64 } : randomUlaPool());
    }
    const global = options.globalAddressPools ?? DEFAULT_GLOBAL_POOLS;
    this.spaces.set(LOCAL_DEFAULT, { pools: new AddressSpace(LOCAL_DEFAULT), predefined: new PredefinedPools(local) });
    this.spaces.set(GLOBAL_DEFAULT, {
      pools: new AddressSpace(GLOBAL_DEFAULT),
      predefined: new PredefinedPools(global),
    });
  }

  async getDefaultAddressSpaces(): Promise<AddressSpaces> {
    return { localDefaultAddressSpace: LOCAL_DEFAULT, globalDefaultAddressSpace: GLOBAL_DEFAULT };
  }

  capabilities(): Capabilities {
    return { requiresMacAddress: false, requiresRequestReplay: true };
  }

  async requestPool(req: PoolRequest): Promise<PoolResponse> {
    const space = this.spaces.get(req.addressSpace);
    if (space === undefined)
      throw new IpamError('ErrInvalidAddressSpace', `unknown address space ${JSON.stringify(req.addressSpace)}`);
    const request = parsePoolRequest(req);
    let pool = request.pool;
    if (pool === undefined) {
      pool = space.predefined.find(request.v6, request.length, space.pools.occupied(request.v6), request.exclude);
      if (pool === undefined) throw noFreePool(request.v6, req.addressSpace);
    }
    const view = space.pools.acquire(pool, request.sub, request.serial);
    return { poolId: view.id, pool: formatPrefix(pool), data: {} };
  }

  async releasePool(poolId: string): Promise<void> {
    const view = this.lookup(poolId);
    view.space.release(view);
  }

  async requestAddress(poolId: string, preferred?: string, options?: Record<string, string>): Promise<AddressResponse> {
    const view = this.lookup(poolId);
    const serialOption = options?.[SERIAL_OPTION];
    const address = view.range.request({
      preferred: preferred === '' ? undefined : preferred,
      serial: serialOption === undefined ? view.serial : serialOption === 'true',
      gateway: options?.[REQUEST_ADDRESS_TYPE] === GATEWAY_ADDRESS_TYPE,
    });
    return { address, data: {} };
  }

  async releaseAddress(poolId: string, address: string): Promise<void> {
    this.lookup(poolId).range.release(address);
  }

  private lookup(poolId: string): PoolView {
    const view = this.spaces.get(spaceOf(poolId))?.pools.view(poolId);
    if (view === undefined) throw unknownPool(poolId);
    return view;
  }
}
