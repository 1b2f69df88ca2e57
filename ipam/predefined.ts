// The predefined pools a dynamic requestPool picks from (dockerd's --default-address-pool),
// and the search for the first one that overlaps nothing allocated and nothing excluded.
import { randomBytes } from 'node:crypto';
import { IpamError } from './errors.js';
import { familyBits, parsePrefix, type Prefix } from './prefix.js';
import type { RangeSet } from './range-set.js';

/** A base network split into pools of prefix length `size`. */
export interface PoolBase {
  base: string;
  size: number;
}

/** 31 local pools: three /16s, three /14s as /16s, 192.168.0.0/16 as /20s. */
export const DEFAULT_LOCAL_POOLS: readonly PoolBase[] = [
  { base: '172.17.0.0/16', size: 16 },
  { base: '172.18.0.0/16', size: 16 },
  { base: '172.19.0.0/16', size: 16 },
  { base: '172.20.0.0/14', size: 16 },
  { base: '172.24.0.0/14', size: 16 },
  { base: '172.28.0.0/14', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

export const DEFAULT_GLOBAL_POOLS: readonly PoolBase[] = [{ base: '10.0.0.0/8', size: 24 }];

/** A random RFC 4193 unique local /48 (fd00::/8 plus a 40-bit global ID), split into /64s. */
export function randomUlaPool(): PoolBase {
  const id = randomBytes(5).toString('hex');
  return { base: `fd${id.slice(0, 2)}:${id.slice(2, 6)}:${id.slice(6, 10)}::/48`, size: 64 };
}

interface Base {
  readonly prefix: Prefix;
  readonly size: number;
  /** Addresses per pool. */
  readonly step: bigint;
}

export class PredefinedPools {
  private readonly bases: Base[];

  constructor(list: readonly PoolBase[]) {
    this.bases = list.map(({ base, size }) => {
      const prefix = parsePrefix(base);
      const bits = prefix === undefined ? 0 : familyBits(prefix.v6);
      if (prefix === undefined || !Number.isInteger(size) || size < prefix.length || size > bits) {
        throw new IpamError('ErrInvalidPool', `bad predefined pool ${JSON.stringify({ base, size })}`);
      }
      return { prefix, size, step: 1n << BigInt(bits - size) };
    });
  }

  hasFamily(v6: boolean): boolean {
    return this.bases.some((base) => base.prefix.v6 === v6);
  }

  /**
   * The first pool (of prefix length `size`, when given) overlapping neither `taken` nor
   * `exclude`. The candidates and the taken runs are walked together, each conflict jumping
   * past the conflicting run, so the cost follows the runs crossed, not the candidates.
   */
  find(v6: boolean, size: number | undefined, taken: RangeSet, exclude: readonly Prefix[]): Prefix | undefined {
    const excluded = exclude.filter((prefix) => prefix.v6 === v6);
    for (const base of this.bases) {
      if (base.prefix.v6 !== v6 || (size !== undefined && base.size !== size)) continue;
      const runs = taken.runsFrom(base.prefix.first);
      let run = runs.next();
      let first = base.prefix.first;
      while (first <= base.prefix.last) {
        const last = first + base.step - 1n;
        while (!run.done && run.value[1] < first) run = runs.next();
        const takenEnd = !run.done && run.value[0] <= last ? run.value[1] : undefined;
        const conflictEnd = maxEnd(takenEnd, excluded, first, last);
        if (conflictEnd === undefined) return { v6, length: base.size, first, last };
        // Next candidate boundary after the conflict (usually the very next one: no division).
        first += base.step;
        if (conflictEnd >= first) first += ((conflictEnd - first) / base.step + 1n) * base.step;
      }
    }
    return undefined;
  }
}

function maxEnd(end: bigint | undefined, exclude: readonly Prefix[], first: bigint, last: bigint): bigint | undefined {
  let result = end;
  for (const other of exclude) {
    if (other.first <= last && first <= other.last && (result === undefined || other.last > result))
      result = other.last;
  }
  return result;
}
