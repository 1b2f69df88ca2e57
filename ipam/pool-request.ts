// A requestPool call checked and parsed, before any address space is consulted: what every
// IPAM of ipam/ (the default, the global one) accepts the same way.
import { SERIAL_OPTION, type PoolRequest } from './api.js';
import { IpamError } from './errors.js';
import { contains, parsePrefix, type Prefix } from './prefix.js';

export interface ParsedPoolRequest {
  /** The explicit pool (host bits masked off); undefined when a predefined one is asked for. */
  pool: Prefix | undefined;
  /** For a dynamic request: the family and, for `0.0.0.0/N` / `::/N`, the length N. */
  v6: boolean;
  length: number | undefined;
  sub: Prefix | undefined;
  exclude: Prefix[];
  serial: boolean;
}

export function parsePoolRequest(req: PoolRequest): ParsedPoolRequest {
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
  let sub: Prefix | undefined;
  if (hasSub) {
    sub = parse(req.subPool as string, 'ErrInvalidSubPool', 'sub-pool');
    if (!contains(pool as Prefix, sub))
      throw new IpamError('ErrInvalidSubPool', `${req.subPool} is not inside ${req.pool}`);
  }
  return {
    pool: dynamic ? undefined : pool,
    v6: pool?.v6 ?? req.v6 ?? false,
    length: dynamic ? pool?.length : undefined,
    sub,
    exclude,
    serial: req.options?.[SERIAL_OPTION] === 'true',
  };
}

function parse(text: string, code: 'ErrInvalidPool' | 'ErrInvalidSubPool', what: string): Prefix {
  const prefix = typeof text === 'string' ? parsePrefix(text) : undefined;
  if (prefix === undefined) throw new IpamError(code, `malformed ${what} ${JSON.stringify(text)}`);
  return prefix;
}

export function noFreePool(v6: boolean, space: string): IpamError {
  return new IpamError('ErrNoMoreSubnets', `no free predefined ${v6 ? 'IPv6' : 'IPv4'} pool in ${space}`);
}

/** The error for a pool id no pool answers to: ErrBadPool when malformed, else ErrPoolNotFound. */
export function unknownPool(poolId: unknown): IpamError {
  if (!isPoolId(poolId)) return new IpamError('ErrBadPool', `malformed pool id ${JSON.stringify(poolId)}`);
  return new IpamError('ErrPoolNotFound', `no pool ${poolId}`);
}

/** The address space named by a pool id ("Space/pool[/sub]"), '' when it is not text. */
export function spaceOf(poolId: unknown): string {
  return typeof poolId === 'string' ? poolId.slice(0, poolId.indexOf('/')) : '';
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
