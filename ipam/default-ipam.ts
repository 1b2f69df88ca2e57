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
import { contains, formatPrefix, parsePrefix, type Prefix } from './prefix.js';

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
    const exclude = (req.exclude ?? []).map((text) => parse(text, 'ErrInvalidPool', 'excluded network'));
    const hasPool = req.pool !== undefined && req.pool !== '';
    const hasSub = req.subPool !== undefined && req.subPool !== '';
    let pool: Prefix | undefined;
    if (hasPool) {
      pool = parse(req.pool as string, 'ErrInvalidPool', 'pool');
      if (req.v6 !== undefined && req.v6 !== pool.v6) {
        throw new IpamError('ErrInvalidPool', `pool ${req.pool} is not ${req.v6 ? 'IPv6' : 'IPv4'}`);
      }
    }
    // "0.0.0.0/N" (or "::/N") asks for any predefined pool of length N.
    const dynamic = pool === undefined || pool.first === 0n;
    // A pool of length 0 (0.0.0.0/0, ::/0) would be every address: the request is wrong, not the supply.
    if (dynamic && pool?.length === 0) throw new IpamError('ErrInvalidPool', `pool ${req.pool} covers every address`);
    if (hasSub && dynamic) throw new IpamError('ErrInvalidSubPool', 'a sub-pool needs an explicit pool');
    if (dynamic) {
      const v6 = pool?.v6 ?? req.v6 ?? false;
      pool = space.predefined.find(v6, pool?.length, space.pools.occupied(v6), exclude);
      if (pool === undefined)
        throw new IpamError(
          'ErrNoMoreSubnets',
          `no free predefined ${v6 ? 'IPv6' : 'IPv4'} pool in ${req.addressSpace}`,
        );
    }
    const chosen = pool as Prefix;
    let sub: Prefix | undefined;
    if (hasSub) {
      sub = parse(req.subPool as string, 'ErrInvalidSubPool', 'sub-pool');
      if (!contains(chosen, sub)) throw new IpamError('ErrInvalidSubPool', `${req.subPool} is not inside ${req.pool}`);
    }
    const view = space.pools.acquire(chosen, sub, req.options?.[SERIAL_OPTION] === 'true');
    return { poolId: view.id, pool: formatPrefix(chosen), data: {} };
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
    const name = typeof poolId === 'string' ? poolId.slice(0, poolId.indexOf('/')) : '';
    const view = this.spaces.get(name)?.pools.view(poolId);
    if (view !== undefined) return view;
    if (!isPoolId(poolId)) throw new IpamError('ErrBadPool', `malformed pool id ${JSON.stringify(poolId)}`);
    throw new IpamError('ErrPoolNotFound', `no pool ${poolId}`);
  }
}

function parse(text: string, code: 'ErrInvalidPool' | 'ErrInvalidSubPool', what: string): Prefix {
  const prefix = typeof text === 'string' ? parsePrefix(text) : undefined;
  if (prefix === undefined) throw new IpamError(code, `malformed ${what} ${JSON.stringify(text)}`);
  return prefix;
}

/** "Space/pool" or "Space/pool/sub-pool", the ids requestPool hands out. */
function isPoolId(poolId: unknown): boolean {
  if (typeof poolId !== 'string') return false;
  const match = /^[^/]+\/([^/]+\/\d+)(?:\/([^/]+\/\d+))?$/.exec(poolId);
  return (
    match !== null &&
    parsePrefix(match[1] as string) !== undefined &&
    (match[2] === undefined || parsePrefix(match[2]) !== undefined)
  );
}
