// The GlobalDefault address space of a cluster, as Calico's IPAM does it: pools are reserved
// in etcd (the same subnet is the same pool on every node, an overlapping one is refused) and
// cut into blocks; a node claims a block with one etcd transaction and then gives its
// addresses with no etcd request at all. Blocks keep their holder across its restarts; a dead
// holder's blocks (its lease expired) are taken over by a node that finds no free block, and
// its pools are dropped by the next pool creation that meets them. Allocations inside a block
// live in this process only: after a restart the controller replays them
// (requiresRequestReplay) into the blocks the node finds in etcd again.
import type { Etcd3, Lease } from 'etcd3';
import {
  GATEWAY_ADDRESS_TYPE,
  REQUEST_ADDRESS_TYPE,
  type AddressResponse,
  type AddressSpaces,
  type Capabilities,
  type Ipam,
  type PoolRequest,
  type PoolResponse,
} from '../api.js';
import { GLOBAL_DEFAULT, LOCAL_DEFAULT } from '../default-ipam.js';
import { IpamError } from '../errors.js';
import { noFreePool, parsePoolRequest, spaceOf, unknownPool, type ParsedPoolRequest } from '../pool-request.js';
import { AddressSpace, type PoolView } from '../pools.js';
import type { PoolAddresses } from '../stores.js';
import { DEFAULT_GLOBAL_POOLS, PredefinedPools, type PoolBase } from '../predefined.js';
import type { AddressRange } from '../address-range.js';
import { contains, formatAddress, formatPrefix, parsePrefix, type Prefix } from '../prefix.js';
import { RangeSet } from '../range-set.js';
import { addressIn, blockOf, blockRange, firstHost, freeBlock, valueIn } from './blocks.js';
import { BorrowDesk } from './borrow-desk.js';
import {
  ClusterState,
  type BlockOwners,
  type Borrow,
  type ClusterSnapshot,
  type PoolAndBlocks,
  type PoolRecord,
  type Versioned,
} from './cluster-state.js';
import { SerialQueue } from '../serial-queue.js';

export interface GlobalIpamOptions {
  client: Etcd3;
  /** This node's name: the holder written on its pools and blocks. */
  node: string;
  /** This node's lease: its blocks and its liveness die with it. */
  lease: Lease;
  /** Where the IPAM's keys live in etcd. */
  prefix?: string;
  /** Pools a dynamic request picks from (default 10.0.0.0/8 as /24s). */
  globalAddressPools?: PoolBase[];
  /** Prefix length of the blocks a node claims (Calico's defaults: /26 and /122). */
  blockLength?: { v4?: number; v6?: number };
}

/** A pool this node holds: the cluster's record of it and this node's blocks. */
interface HeldPool {
  readonly prefix: Prefix;
  record: Versioned<PoolRecord>;
  /** This node's blocks, lowest first. */
  blocks: Prefix[];
  /** Every block's holder as last read from etcd. */
  known: BlockOwners;
  /** The nodes alive when last read: a dead holder's block may be taken over. */
  live: Set<string>;
  /** The pool's address store (every view's): addresses lent to other nodes are taken in it. */
  readonly addresses: PoolAddresses;
  /** Addresses of this node's blocks lent to other nodes. */
  readonly lent: Set<string>;
  /** Addresses of other nodes' blocks borrowed here. */
  readonly borrowed: Set<string>;
  /** Borrowed before a restart, until requested again (replayed). */
  readonly replayable: Set<string>;
}

export const DEFAULT_IPAM_PREFIX = '/wasmnet/ipam/';

export class GlobalIpam implements Ipam {
  private readonly space = new AddressSpace(GLOBAL_DEFAULT);
  private readonly held = new Map<string, HeldPool>();
  /** Everything that talks to etcd runs one at a time; allocations from held blocks never wait. */
  private readonly queue = new SerialQueue();
  private readonly desk: BorrowDesk;
  private stopWatching: () => Promise<void> = async () => undefined;

  private constructor(
    private readonly state: ClusterState,
    private readonly predefined: PredefinedPools,
    private readonly blockLength: { v4: number; v6: number },
    /** Blocks found in etcd at open, by pool, until the pool is requested (replayed) again. */
    private readonly recovered: Map<string, BlockOwners>,
  ) {
    this.desk = new BorrowDesk(state);
  }

  /** Marks the node alive and finds the blocks it held before a restart. */
  static async open(options: GlobalIpamOptions): Promise<GlobalIpam> {
    const state = new ClusterState(options.client, options.prefix ?? DEFAULT_IPAM_PREFIX, options.node);
    await state.register(await options.lease.grant());
    const ipam = new GlobalIpam(
      state,
      new PredefinedPools(options.globalAddressPools ?? DEFAULT_GLOBAL_POOLS),
      { v4: options.blockLength?.v4 ?? 26, v6: options.blockLength?.v6 ?? 122 },
      await state.ownBlocks(),
    );
    ipam.stopWatching = await state.watchBorrows((pool, address, borrow) => ipam.watched(pool, address, borrow));
    return ipam;
  }

  /** Stops answering borrows (the etcd client and the lease stay the caller's). */
  async close(): Promise<void> {
    await this.stopWatching();
  }

  /**
   * After this node's lease was lost and a new one granted: the node is alive again. Blocks
   * another node took over meanwhile are given up (their addresses stay taken here, but no new
   * address comes from them).
   */
  async renewLease(lease: Lease): Promise<void> {
    await this.queue.run(async () => {
      await this.state.register(await lease.grant());
      const own = await this.state.ownBlocks();
      for (const held of this.held.values()) {
        const mine = own.get(held.record.value.pool);
        held.blocks = held.blocks.filter((block) => mine?.has(formatPrefix(block)) === true);
      }
    });
  }

  /** Requests sent to etcd so far. */
  get etcdRequests(): number {
    return this.state.requests;
  }

  async getDefaultAddressSpaces(): Promise<AddressSpaces> {
    return { localDefaultAddressSpace: LOCAL_DEFAULT, globalDefaultAddressSpace: GLOBAL_DEFAULT };
  }

  capabilities(): Capabilities {
    return { requiresMacAddress: false, requiresRequestReplay: true };
  }

  async requestPool(req: PoolRequest): Promise<PoolResponse> {
    if (req.addressSpace !== GLOBAL_DEFAULT)
      throw new IpamError('ErrInvalidAddressSpace', `unknown address space ${JSON.stringify(req.addressSpace)}`);
    const request = parsePoolRequest(req);
    return this.queue.run(async () => {
      const explicit = request.pool;
      // Held here already: another sub-pool shares it, anything else is an overlap (acquire says which).
      const heldHere =
        explicit !== undefined &&
        this.space.occupied(explicit.v6).overlapEnd(explicit.first, explicit.last) !== undefined;
      // Everything etcd has to say comes before anything changes here. A failure after the
      // reservation leaves this node among the pool's holders: asking again adopts the pool.
      const reserved = heldHere ? undefined : await this.reserve(request);
      const pool = reserved === undefined ? (explicit as Prefix) : (parsePrefix(reserved.record.value.pool) as Prefix);
      const borrows = reserved === undefined ? undefined : await this.state.readBorrows(formatPrefix(pool));
      const view = this.space.acquire(pool, request.sub, false);
      if (reserved !== undefined) this.hold(view, reserved.record, reserved.live, borrows ?? new Map());
      return { poolId: view.id, pool: formatPrefix(pool), data: {} };
    });
  }

  async releasePool(poolId: string): Promise<void> {
    const view = this.lookup(poolId);
    await this.queue.run(async () => {
      const held = this.heldPool(view);
      // The last reference here: leave the pool cluster-wide first, so a failure changes nothing.
      if (view.master.refs === 1) await this.leave(held);
      this.space.release(view);
      if (view.master.refs === 0) this.held.delete(formatPrefix(held.prefix));
    });
  }

  async requestAddress(poolId: string, preferred?: string, options?: Record<string, string>): Promise<AddressResponse> {
    const view = this.lookup(poolId);
    const held = this.heldPool(view);
    const wanted = preferred === '' ? undefined : preferred;
    if (options?.[REQUEST_ADDRESS_TYPE] === GATEWAY_ADDRESS_TYPE)
      return { address: await this.queue.run(() => this.gateway(view, held, wanted)), data: {} };
    if (wanted !== undefined) return { address: await this.preferred(view, held, wanted), data: {} };
    // The common case: a free address in a block held here, no etcd request.
    const address = this.fromHeldBlocks(view, held) ?? (await this.queue.run(() => this.fromNewBlock(view, held)));
    return { address, data: {} };
  }

  async releaseAddress(poolId: string, address: string): Promise<void> {
    const view = this.lookup(poolId);
    const held = this.heldPool(view);
    const value = addressIn(view.prefix, address);
    // The gateway is the pool's, for as long as the pool lives.
    if (held.record.value.gateway !== undefined && addressIn(view.prefix, held.record.value.gateway) === value) return;
    const block = blockOf(held.prefix, held.record.value.blockLength, value);
    const text = formatAddress(held.prefix.v6, value);
    if (!this.holds(held, block) && held.borrowed.has(text)) {
      await this.queue.run(() => this.state.dropBorrow(held.record.value.pool, text));
      held.borrowed.delete(text);
      held.replayable.delete(text);
      return;
    }
    if (!this.holds(held, block))
      throw new IpamError(
        'ErrIPOutOfRange',
        `${address} is in block ${formatPrefix(block)}, which node ${this.state.node} does not hold`,
      );
    blockRange(view, block)?.release(address);
  }

  /** Joins the pool the request names, or reserves a new one, cluster-wide. */
  private async reserve(request: ParsedPoolRequest): Promise<{ record: Versioned<PoolRecord>; live: Set<string> }> {
    for (;;) {
      const snapshot = await this.state.snapshot();
      const stale = [...snapshot.pools.keys()].filter((pool) => this.liveHolders(snapshot, pool).length === 0);
      const existing = request.pool === undefined ? undefined : snapshot.pools.get(formatPrefix(request.pool));
      // The same subnet is joined even when its holders are all dead: their blocks stay theirs
      // (they may come back) until a node finds no free block and takes one over.
      if (existing !== undefined) {
        const holders = this.liveHolders(snapshot, existing.value.pool);
        if (holders.includes(this.state.node)) return { record: existing, live: snapshot.live };
        const next = { ...existing.value, holders: [...holders, this.state.node] };
        const mod = await this.state.updatePool(existing, next);
        if (mod !== undefined) return { record: { value: next, mod }, live: snapshot.live };
        continue;
      }
      const pool = this.choose(request, snapshot, stale);
      const bits = pool.v6 ? this.blockLength.v6 : this.blockLength.v4;
      const record: PoolRecord = {
        pool: formatPrefix(pool),
        blockLength: Math.max(pool.length, bits),
        holders: [this.state.node],
      };
      const mod = await this.state.createPool(record, snapshot, stale);
      if (mod !== undefined) return { record: { value: record, mod }, live: snapshot.live };
    }
  }

  /** The requested pool if it overlaps no live pool, else a free predefined one. */
  private choose(request: ParsedPoolRequest, snapshot: ClusterSnapshot, stale: string[]): Prefix {
    const taken = new RangeSet();
    for (const pool of snapshot.pools.keys()) {
      const prefix = parsePrefix(pool);
      if (prefix !== undefined && prefix.v6 === request.v6 && !stale.includes(pool))
        taken.add(prefix.first, prefix.last);
    }
    const explicit = request.pool;
    if (explicit === undefined) {
      const found = this.predefined.find(request.v6, request.length, taken, request.exclude);
      if (found === undefined) throw noFreePool(request.v6, GLOBAL_DEFAULT);
      return found;
    }
    if (taken.overlapEnd(explicit.first, explicit.last) !== undefined)
      throw new IpamError('ErrPoolOverlap', `${formatPrefix(explicit)} overlaps a pool reserved in ${GLOBAL_DEFAULT}`);
    return explicit;
  }

  private liveHolders(snapshot: ClusterSnapshot, pool: string): string[] {
    return (snapshot.pools.get(pool)?.value.holders ?? []).filter((node) => snapshot.live.has(node));
  }

  /** Starts holding a pool just reserved, with the blocks and borrows it had before a restart. */
  private hold(
    view: PoolView,
    record: Versioned<PoolRecord>,
    live: Set<string>,
    borrows: Map<string, Versioned<Borrow>>,
  ): void {
    const key = formatPrefix(view.master.prefix);
    const recovered = this.recovered.get(key) ?? new Map();
    this.recovered.delete(key);
    const held: HeldPool = {
      prefix: view.master.prefix,
      record,
      blocks: [],
      known: new Map(recovered),
      live,
      addresses: view.master.addresses,
      lent: new Set(),
      borrowed: new Set(),
      replayable: new Set(),
    };
    this.held.set(key, held);
    for (const text of recovered.keys()) {
      const block = this.blockOfPool(held, text);
      if (block !== undefined) this.addBlock(view, held, block);
    }
    this.takeBorrows(held, borrows);
  }

  /** The pool's borrows: this node's own come back (to be replayed), those of its blocks are taken. */
  private takeBorrows(held: HeldPool, borrows: Map<string, Versioned<Borrow>>): void {
    for (const [address, borrow] of borrows) {
      if (!this.isAddressOf(held, address)) continue;
      if (borrow.value.node !== this.state.node || borrow.value.state !== 'granted')
        this.borrowChanged(held, address, borrow);
      else if (!held.borrowed.has(address)) {
        held.borrowed.add(address);
        held.replayable.add(address);
      }
    }
  }

  private watched(pool: string, address: string, borrow: Versioned<Borrow> | undefined): void {
    if (this.desk.answered(pool, address, borrow)) return;
    const held = this.held.get(pool);
    if (held !== undefined) this.borrowChanged(held, address, borrow);
  }

  private borrowChanged(held: HeldPool, address: string, borrow: Versioned<Borrow> | undefined): void {
    // A failed answer leaves the ask unanswered: the borrower gives up after BORROW_ANSWER_MS.
    this.lend(held, address, borrow).catch(() => undefined);
  }

  /** The holder's side: an address of one of its blocks asked, granted before, or given back. */
  private async lend(held: HeldPool, address: string, borrow: Versioned<Borrow> | undefined): Promise<void> {
    if (!this.isAddressOf(held, address)) return;
    const block = blockOf(held.prefix, held.record.value.blockLength, valueIn(held.prefix, address) as bigint);
    if (!this.holds(held, block)) return;
    const range = held.addresses.range(block);
    if (borrow === undefined) {
      if (held.lent.delete(address)) range.release(address);
      return;
    }
    if (held.lent.has(address) || borrow.value.state === 'refused') return;
    const granted = takeIfFree(range, address) !== undefined;
    if (granted) held.lent.add(address);
    if (borrow.value.state === 'asked') await this.state.answerBorrow(held.record.value.pool, address, borrow, granted);
  }

  private async leave(held: HeldPool): Promise<void> {
    for (;;) {
      const current = held.record;
      const holders = current.value.holders.filter((node) => node !== this.state.node);
      const next = holders.length === 0 ? undefined : { ...current.value, holders };
      const drop = { blocks: held.blocks.map(formatPrefix), borrows: [...held.borrowed] };
      if ((await this.state.updatePool(current, next, drop)) !== undefined) return;
      const fresh = await this.state.readPool(current.value.pool);
      if (fresh === undefined) return;
      held.record = fresh;
    }
  }

  private fromHeldBlocks(view: PoolView, held: HeldPool): string | undefined {
    for (const block of held.blocks) {
      const range = blockRange(view, block);
      if (range?.available()) return range.request({ preferred: undefined, serial: false, gateway: false });
    }
    return undefined;
  }

  /** Claims blocks until one has a free address in the view's range (in the queue). */
  private async fromNewBlock(view: PoolView, held: HeldPool): Promise<string> {
    // Another call may have claimed a block while this one waited for the queue.
    const address = this.fromHeldBlocks(view, held);
    if (address !== undefined) return address;
    await this.claim(view, held);
    return this.fromNewBlock(view, held);
  }

  /** A preferred address: from a block held here, else from its block claimed now. */
  /**
   * A preferred address: from a block held here, else from its block claimed now, else borrowed
   * from the live node that holds its block.
   */
  private async preferred(view: PoolView, held: HeldPool, wanted: string): Promise<string> {
    const value = addressIn(view.prefix, wanted);
    const block = blockOf(held.prefix, held.record.value.blockLength, value);
    const request = (): string =>
      (blockRange(view, block) as AddressRange<bigint>).request({ preferred: wanted, serial: false, gateway: false });
    if (this.holds(held, block)) return request();
    return this.queue.run(async () => {
      const text = formatAddress(held.prefix.v6, value);
      const suffix = `/${held.prefix.length}`;
      if (held.replayable.delete(text)) return text + suffix;
      if (held.borrowed.has(text)) throw new IpamError('ErrIPAlreadyAllocated', `${wanted} is already allocated`);
      try {
        if (!this.holds(held, block)) await this.claim(view, held, block);
      } catch (error) {
        const holder = held.known.get(formatPrefix(block));
        const otherLive = holder !== undefined && holder.value !== this.state.node && held.live.has(holder.value);
        if (!(error instanceof IpamError && error.code === 'ErrIPAlreadyAllocated' && otherLive)) throw error;
        await this.desk.borrow(held.record.value.pool, text, formatPrefix(block), holder);
        held.borrowed.add(text);
        return text + suffix;
      }
      return request();
    });
  }

  /**
   * The pool's gateway: one address for the whole cluster, recorded in the pool. The first
   * request picks it (`wanted`, else the range's first host); later ones, on any node, get it.
   */
  private async gateway(view: PoolView, held: HeldPool, wanted: string | undefined): Promise<string> {
    const suffix = `/${held.prefix.length}`;
    for (;;) {
      const recorded = held.record.value.gateway;
      if (recorded !== undefined) {
        if (wanted !== undefined && addressIn(view.prefix, wanted) !== addressIn(view.prefix, recorded))
          throw new IpamError('ErrIPAlreadyAllocated', `${wanted}: the pool's gateway is ${recorded}`);
        return recorded + suffix;
      }
      const candidate = wanted ?? firstHost(view.prefix, held.prefix);
      const block = blockOf(held.prefix, held.record.value.blockLength, addressIn(view.prefix, candidate));
      let address: string | undefined;
      if (this.holds(held, block)) {
        address = takeIfFree(blockRange(view, block) as AddressRange<bigint>, candidate);
        if (address === undefined && wanted !== undefined)
          throw new IpamError('ErrIPAlreadyAllocated', `${wanted} is already allocated`);
      } else {
        // In a block nobody holds: record it; whoever claims that block later skips it.
        const mod = await this.state.setGateway(held.record, candidate, formatPrefix(block));
        if (mod !== undefined) {
          held.record = { value: { ...held.record.value, gateway: candidate }, mod };
          return candidate + suffix;
        }
        await this.refresh(held);
        const holder = held.known.get(formatPrefix(block))?.value;
        if (held.record.value.gateway !== undefined || holder === undefined || this.holds(held, block)) continue;
        if (wanted !== undefined)
          throw new IpamError(
            'ErrIPAlreadyAllocated',
            `${wanted} is in block ${formatPrefix(block)} held by ${holder}`,
          );
      }
      // The first host is taken: the gateway is any free address of this node's blocks.
      address ??= this.fromHeldBlocks(view, held) ?? (await this.fromNewBlock(view, held));
      const gateway = address.slice(0, address.indexOf('/'));
      const mod = await this.state.setGateway(held.record, gateway);
      if (mod !== undefined) {
        held.record = { value: { ...held.record.value, gateway }, mod };
        return address;
      }
      blockRange(view, blockOf(held.prefix, held.record.value.blockLength, addressIn(view.prefix, gateway)))?.release(
        gateway,
      );
      await this.refresh(held);
    }
  }

  /**
   * Claims `wanted` (the block of a preferred address), or the lowest block of the view's range
   * nobody holds, or else a block whose holder is dead. Typed errors: the block is another live
   * node's, or every block is held.
   */
  private async claim(view: PoolView, held: HeldPool, wanted?: Prefix): Promise<void> {
    let refreshed = false;
    for (;;) {
      const choice = this.nextClaim(view, held, wanted);
      if (choice === undefined) {
        // What is known may be stale (a holder died, a block was released): read once before giving up.
        if (!refreshed) {
          await this.refresh(held);
          refreshed = true;
          continue;
        }
        if (wanted === undefined)
          throw new IpamError('ErrNoAvailableIPs', `pool ${held.record.value.pool} is exhausted: every block is held`);
        const holder = held.known.get(formatPrefix(wanted))?.value;
        throw new IpamError('ErrIPAlreadyAllocated', `block ${formatPrefix(wanted)} is held by node ${holder}`);
      }
      const { block, takeover } = choice;
      const result = await this.state.claimBlock(
        held.record.value.pool,
        formatPrefix(block),
        held.record.mod,
        takeover,
      );
      this.update(held, result);
      if (result.claimed) {
        this.addBlock(view, held, block);
        // The dead holder's lent addresses stay lent.
        if (takeover !== undefined) this.takeBorrows(held, await this.state.readBorrows(held.record.value.pool));
        return;
      }
      refreshed = true;
    }
  }

  private nextClaim(
    view: PoolView,
    held: HeldPool,
    wanted: Prefix | undefined,
  ): { block: Prefix; takeover?: { holder: string; mod: string } } | undefined {
    const free =
      wanted === undefined
        ? freeBlock(view.prefix, held.record.value.blockLength, held.known)
        : held.known.has(formatPrefix(wanted))
          ? undefined
          : wanted;
    if (free !== undefined) return { block: free };
    for (const [text, holder] of held.known) {
      if (holder.value === this.state.node || held.live.has(holder.value)) continue;
      const block = this.blockOfPool(held, text);
      if (block === undefined) continue;
      if (wanted === undefined ? blockRange(view, block) !== undefined : wanted.first === block.first)
        return { block, takeover: { holder: holder.value, mod: holder.mod } };
    }
    return undefined;
  }

  private async refresh(held: HeldPool): Promise<void> {
    this.update(held, await this.state.readPoolAndBlocks(held.record.value.pool));
  }

  private update(held: HeldPool, read: PoolAndBlocks): void {
    if (read.pool === undefined)
      throw new IpamError('ErrPoolNotFound', `pool ${held.record.value.pool} is no longer reserved in the cluster`);
    held.record = read.pool;
    held.known = read.blocks;
    held.live = read.live;
  }

  private addBlock(view: PoolView, held: HeldPool, block: Prefix): void {
    held.blocks.push(block);
    held.blocks.sort((a, b) => (a.first < b.first ? -1 : 1));
    held.known.set(formatPrefix(block), { value: this.state.node, mod: '' });
    // The pool's gateway is never an endpoint's address, whoever holds its block.
    const gateway = held.record.value.gateway;
    const value = gateway === undefined ? undefined : addressIn(held.prefix, gateway);
    if (value !== undefined && value >= block.first && value <= block.last)
      takeIfFree(view.master.addresses.range(block), gateway as string);
  }

  /** Whether `address` is an address of the pool, written as this IPAM writes it (keys can hold anything). */
  private isAddressOf(held: HeldPool, address: string): boolean {
    const value = valueIn(held.prefix, address);
    return value !== undefined && formatAddress(held.prefix.v6, value) === address;
  }

  /** A block key's CIDR as a block of the pool; undefined for a key this IPAM did not write. */
  private blockOfPool(held: HeldPool, text: string): Prefix | undefined {
    const block = parsePrefix(text);
    const fits =
      block !== undefined &&
      formatPrefix(block) === text &&
      block.length === held.record.value.blockLength &&
      contains(held.prefix, block);
    return fits ? block : undefined;
  }

  private holds(held: HeldPool, block: Prefix): boolean {
    return held.blocks.some((own) => own.first === block.first);
  }

  private heldPool(view: PoolView): HeldPool {
    return this.held.get(formatPrefix(view.master.prefix)) as HeldPool;
  }

  private lookup(poolId: string): PoolView {
    const view = spaceOf(poolId) === GLOBAL_DEFAULT ? this.space.view(poolId) : undefined;
    if (view === undefined) throw unknownPool(poolId);
    return view;
  }
}

/** Takes `address` in `range` unless it is taken already (then undefined). */
function takeIfFree(range: AddressRange<number> | AddressRange<bigint>, address: string): string | undefined {
  try {
    return range.request({ preferred: address, serial: false, gateway: true });
  } catch (error) {
    if (error instanceof IpamError && error.code === 'ErrIPAlreadyAllocated') return undefined;
    throw error;
  }
}
