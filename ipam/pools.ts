// The pools allocated in one address space, reference counted. A pool's addresses live in its
// "master" entry; each (pool, sub-pool) pair is a view of it with its own address range, so
// sub-pools of one pool never hand out the same address.
import type { AddressRange } from './address-range.js';
import { IpamError } from './errors.js';
import { formatPrefix, type Prefix } from './prefix.js';
import { RangeSet } from './range-set.js';
import { openPoolAddresses, type PoolAddresses } from './stores.js';

export interface Master {
  readonly prefix: Prefix;
  readonly addresses: PoolAddresses;
  refs: number;
}

export interface PoolView {
  readonly id: string;
  readonly space: AddressSpace;
  readonly master: Master;
  /** The pool, or the sub-pool this view gives addresses from. */
  readonly prefix: Prefix;
  readonly range: AddressRange<number> | AddressRange<bigint>;
  readonly serial: boolean;
  refs: number;
}

export class AddressSpace {
  private readonly masters = new Map<string, Master>();
  private readonly views = new Map<string, PoolView>();
  /** Union of the allocated pools, per family: the overlap check and the dynamic search use it. */
  private readonly taken = { v4: new RangeSet(), v6: new RangeSet() };

  constructor(readonly name: string) {}

  view(poolId: string): PoolView | undefined {
    return this.views.get(poolId);
  }

  occupied(v6: boolean): RangeSet {
    return v6 ? this.taken.v6 : this.taken.v4;
  }

  /** Takes a reference on `pool` (and on its view for `sub`), creating them as needed. */
  acquire(pool: Prefix, sub: Prefix | undefined, serial: boolean): PoolView {
    const poolText = formatPrefix(pool);
    const id = `${this.name}/${poolText}${sub === undefined ? '' : `/${formatPrefix(sub)}`}`;
    let master = this.masters.get(poolText);
    if (master === undefined && this.occupied(pool.v6).overlapEnd(pool.first, pool.last) !== undefined) {
      throw new IpamError('ErrPoolOverlap', `${poolText} overlaps a pool already allocated in ${this.name}`);
    }
    // libnetwork's updatePoolDBOnAdd: the same pool twice is an overlap too (Docker refuses a second
    // network on a subnet), and so is the same sub-pool; another sub-pool of a pool shares it.
    if (sub === undefined ? master !== undefined : this.views.has(id)) {
      throw new IpamError('ErrPoolOverlap', `${id.slice(this.name.length + 1)} is already allocated in ${this.name}`);
    }
    if (master === undefined) {
      master = { prefix: pool, addresses: openPoolAddresses(pool), refs: 0 };
      this.masters.set(poolText, master);
      this.occupied(pool.v6).add(pool.first, pool.last);
    }
    let view = this.views.get(id);
    if (view === undefined) {
      view = {
        id,
        space: this,
        master,
        prefix: sub ?? pool,
        range: master.addresses.range(sub ?? pool),
        serial,
        refs: 0,
      };
      this.views.set(id, view);
    }
    master.refs++;
    view.refs++;
    return view;
  }

  /** Drops one reference; the last one frees the pool and its addresses. */
  release(view: PoolView): void {
    if (--view.refs === 0) this.views.delete(view.id);
    const master = view.master;
    if (--master.refs === 0) {
      this.masters.delete(formatPrefix(master.prefix));
      this.occupied(master.prefix.v6).delete(master.prefix.first, master.prefix.last);
    }
  }
}
