// What the global IPAM keeps in etcd, and every request it sends there (counted: most
// allocations must send none). Keys, under the IPAM's prefix:
//   nodes/NODE          the node is alive (attached to its lease)
//   pool-index          bumped by every pool creation: creations compare it, so two overlapping
//                       pools can never both be created
//   pools/CIDR          a pool reserved cluster-wide: { pool, blockLength, holders, gateway? }
//   blocks/CIDR/BLOCK   a block of the pool held by one node (its name). Not attached to the
//                       lease: a restarted node finds its blocks however long it was down. A
//                       block whose holder is dead (no nodes/NODE) may be taken over.
//   borrows/CIDR/IP     a preferred address of another node's block: asked by the borrower,
//                       granted or refused by the block's holder (who alone knows what it gave)
import type { Etcd3, IKeyValue, ITxnResponse, Namespace } from 'etcd3';
import type { IOperation } from 'etcd3/lib/builder.js';
import { familyBits, formatPrefix, parsePrefix } from '../prefix.js';
import { valueIn } from './blocks.js';

export interface PoolRecord {
  pool: string;
  /** Prefix length of the pool's blocks: every node claims blocks of this size. */
  blockLength: number;
  /** The nodes that requested the pool and have not released it. */
  holders: string[];
  /** The pool's gateway, one for the whole cluster (every node's gateway request gets it). */
  gateway?: string;
}

/** A value as read from etcd, with the revision a compare-and-swap needs. */
export interface Versioned<T> {
  value: T;
  mod: string;
}

export interface ClusterSnapshot {
  pools: Map<string, Versioned<PoolRecord>>;
  /** Nodes whose lease is alive. */
  live: Set<string>;
  /** pool-index's mod revision, '0' when it was never written. */
  indexMod: string;
}

/** Blocks of one pool: block CIDR → holder and revision. */
export type BlockOwners = Map<string, Versioned<string>>;

/** A borrowed address: who asked for it, and the holder's answer. */
export interface Borrow {
  node: string;
  state: 'asked' | 'granted' | 'refused';
}

export interface PoolAndBlocks {
  pool: Versioned<PoolRecord> | undefined;
  blocks: BlockOwners;
  /** Nodes whose lease is alive. */
  live: Set<string>;
}

const INDEX = 'pool-index';

export class ClusterState {
  /** Requests sent to etcd since this state was opened (reads, writes and transactions). */
  requests = 0;
  private readonly ns: Namespace;

  constructor(
    client: Etcd3,
    private readonly prefix: string,
    readonly node: string,
  ) {
    this.ns = client.namespace(prefix);
  }

  /** Marks this node alive under `leaseId`. */
  async register(leaseId: string): Promise<void> {
    this.requests++;
    await this.ns
      .put(nodeKey(this.node))
      .value(JSON.stringify({ node: this.node }))
      .lease(leaseId)
      .exec();
  }

  /** Pools, live nodes and the pool index, read together (one request). */
  async snapshot(): Promise<ClusterSnapshot> {
    const response = await this.txn(
      // An always-true compare (a version is never negative) makes a read of three ranges atomic.
      this.ns.if(INDEX, 'Version', '>', -1),
      [this.ns.getAll().prefix('pools/'), this.ns.getAll().prefix('nodes/'), this.ns.get(INDEX)],
      [],
    );
    const [pools, nodes, index] = response.responses.map((r) => r.response_range.kvs);
    return {
      pools: new Map(
        (pools ?? []).flatMap((kv) => {
          const record = poolRecord(kv);
          return record === undefined ? [] : [[this.key(kv).slice('pools/'.length), record] as const];
        }),
      ),
      live: this.liveNodes(nodes ?? []),
      indexMod: index?.[0]?.mod_revision ?? '0',
    };
  }

  /**
   * Creates `record` if no pool was created since `seen`, deleting `stale` pools (whose holders
   * are all dead) in the same transaction. False when another creation came first.
   */
  async createPool(record: PoolRecord, seen: ClusterSnapshot, stale: string[]): Promise<string | undefined> {
    const compare = this.ns.if(INDEX, 'Mod', '==', seen.indexMod);
    for (const pool of stale)
      compare.and(poolKey(pool), 'Mod', '==', (seen.pools.get(pool) as Versioned<PoolRecord>).mod);
    const response = await this.txn(
      compare,
      [
        this.ns.put(INDEX).value(seen.indexMod),
        this.ns.put(poolKey(record.pool)).value(JSON.stringify(record)),
        // A stale pool of the very same subnet is replaced by the put (a txn names a key once).
        ...stale.flatMap((pool) => (pool === record.pool ? this.dropAddressOps(pool) : this.dropPoolOps(pool))),
      ],
      [],
    );
    return revisionIf(response);
  }

  /** Replaces (or, with `next` undefined, deletes with its blocks) a pool read at `current.mod`. */
  async updatePool(
    current: Versioned<PoolRecord>,
    next: PoolRecord | undefined,
    /** What this node leaves with the pool: its blocks and its borrowed addresses. */
    drop: { blocks: string[]; borrows: string[] } = { blocks: [], borrows: [] },
  ): Promise<string | undefined> {
    const pool = current.value.pool;
    const ops =
      next === undefined
        ? this.dropPoolOps(pool)
        : [
            this.ns.put(poolKey(pool)).value(JSON.stringify(next)),
            ...drop.blocks.map((block) => this.ns.delete().key(blockKey(pool, block))),
            ...drop.borrows.map((address) => this.ns.delete().key(borrowKey(pool, address))),
          ];
    return revisionIf(await this.txn(this.ns.if(poolKey(pool), 'Mod', '==', current.mod), ops, []));
  }

  async readPool(pool: string): Promise<Versioned<PoolRecord> | undefined> {
    this.requests++;
    const response = await this.ns.get(poolKey(pool)).exec();
    const kv = response.kvs[0];
    return kv === undefined ? undefined : poolRecord(kv);
  }

  /** A pool, the holders of its blocks and the live nodes, read together (one request). */
  async readPoolAndBlocks(pool: string): Promise<PoolAndBlocks> {
    const response = await this.txn(this.ns.if(INDEX, 'Version', '>', -1), this.poolAndBlocksReads(pool), []);
    return this.poolAndBlocks(pool, response);
  }

  /**
   * Claims `block` of a pool for this node, if the pool is unchanged since `poolMod` (so the
   * claimer knows the pool's gateway) and nobody holds the block, or (`takeover`) it is still
   * as read and its holder is still dead. One request either way, which also reads the pool,
   * its blocks and the live nodes (after the claim, or instead of it), so that the next claim
   * starts from what is true now.
   */
  async claimBlock(
    pool: string,
    block: string,
    poolMod: string,
    takeover?: { holder: string; mod: string },
  ): Promise<{ claimed: boolean } & PoolAndBlocks> {
    const key = blockKey(pool, block);
    const compare = this.ns.if(poolKey(pool), 'Mod', '==', poolMod);
    if (takeover === undefined) compare.and(key, 'Version', '==', 0);
    else compare.and(key, 'Mod', '==', takeover.mod).and(nodeKey(takeover.holder), 'Version', '==', 0);
    const reads = this.poolAndBlocksReads(pool);
    const response = await this.txn(compare, [this.ns.put(key).value(this.node), ...reads], reads);
    // On success the put's response comes first.
    if (response.succeeded) response.responses.shift();
    return { claimed: response.succeeded, ...this.poolAndBlocks(pool, response) };
  }

  /**
   * Records `gateway` in the pool read at `current.mod`, if the block holding it is unclaimed
   * (`block` given: whoever claims it later sees the gateway) or, with no `block`, held here.
   */
  async setGateway(current: Versioned<PoolRecord>, gateway: string, block?: string): Promise<string | undefined> {
    const pool = current.value.pool;
    const compare = this.ns.if(poolKey(pool), 'Mod', '==', current.mod);
    if (block !== undefined) compare.and(blockKey(pool, block), 'Version', '==', 0);
    const next = JSON.stringify({ ...current.value, gateway });
    return revisionIf(await this.txn(compare, [this.ns.put(poolKey(pool)).value(next)], []));
  }

  /** Asks the holder of `block` (unchanged since `blockMod`) for `address`; false if already asked. */
  async askBorrow(pool: string, address: string, block: string, blockMod: string): Promise<boolean> {
    const key = borrowKey(pool, address);
    const asked: Borrow = { node: this.node, state: 'asked' };
    const compare = this.ns.if(key, 'Version', '==', 0).and(blockKey(pool, block), 'Mod', '==', blockMod);
    return (await this.txn(compare, [this.ns.put(key).value(JSON.stringify(asked))], [])).succeeded;
  }

  /** The holder's answer to a borrow read at `mod`. */
  async answerBorrow(pool: string, address: string, borrow: Versioned<Borrow>, granted: boolean): Promise<void> {
    const key = borrowKey(pool, address);
    const answer: Borrow = { node: borrow.value.node, state: granted ? 'granted' : 'refused' };
    await this.txn(this.ns.if(key, 'Mod', '==', borrow.mod), [this.ns.put(key).value(JSON.stringify(answer))], []);
  }

  async dropBorrow(pool: string, address: string): Promise<void> {
    this.requests++;
    await this.ns.delete().key(borrowKey(pool, address)).exec();
  }

  /** The borrows of a pool, by address. */
  async readBorrows(pool: string): Promise<Map<string, Versioned<Borrow>>> {
    this.requests++;
    const response = await this.ns.getAll().prefix(`borrows/${pool}/`).exec();
    const borrows = new Map<string, Versioned<Borrow>>();
    for (const kv of response.kvs) {
      const borrow = borrowOf(kv);
      if (borrow !== undefined) borrows.set(splitBorrowKey(this.key(kv))[1], borrow);
    }
    return borrows;
  }

  /** Calls `changed` for every borrow put or deleted from now on; resolves once watching. */
  async watchBorrows(
    changed: (pool: string, address: string, borrow: Versioned<Borrow> | undefined) => void,
  ): Promise<() => Promise<void>> {
    const watcher = await this.ns.watch().prefix('borrows/').create();
    const deliver = (kv: IKeyValue, deleted: boolean): void => {
      const [pool, address] = splitBorrowKey(this.key(kv));
      changed(pool, address, deleted ? undefined : borrowOf(kv));
    };
    watcher.on('put', (kv) => deliver(kv, false));
    watcher.on('delete', (kv) => deliver(kv, true));
    return () => watcher.cancel();
  }

  /** Every block this node holds, by pool. */
  async ownBlocks(): Promise<Map<string, BlockOwners>> {
    this.requests++;
    const response = await this.ns.getAll().prefix('blocks/').exec();
    const byPool = new Map<string, BlockOwners>();
    for (const kv of response.kvs) {
      if (kv.value.toString() !== this.node) continue;
      const [pool, block] = splitBlockKey(this.key(kv));
      const owners = byPool.get(pool) ?? new Map();
      owners.set(block, { value: this.node, mod: kv.mod_revision });
      byPool.set(pool, owners);
    }
    return byPool;
  }

  private dropPoolOps(pool: string): IOperation[] {
    return [this.ns.delete().key(poolKey(pool)), ...this.dropAddressOps(pool)];
  }

  /** The pool's blocks and borrows. */
  private dropAddressOps(pool: string): IOperation[] {
    return [this.ns.delete().prefix(`blocks/${pool}/`), this.ns.delete().prefix(`borrows/${pool}/`)];
  }

  private poolAndBlocksReads(pool: string): IOperation[] {
    return [this.ns.get(poolKey(pool)), this.ns.getAll().prefix(`blocks/${pool}/`), this.ns.getAll().prefix('nodes/')];
  }

  private poolAndBlocks(pool: string, response: ITxnResponse): PoolAndBlocks {
    const [poolKvs, blockKvs, nodeKvs] = response.responses.map((r) => r.response_range.kvs);
    const record = poolKvs?.[0];
    const skip = `blocks/${pool}/`.length;
    return {
      pool: record === undefined ? undefined : poolRecord(record),
      blocks: new Map(
        (blockKvs ?? []).map((kv) => [this.key(kv).slice(skip), { value: kv.value.toString(), mod: kv.mod_revision }]),
      ),
      live: this.liveNodes(nodeKvs ?? []),
    };
  }

  private async txn(
    compare: ReturnType<Namespace['if']>,
    then: IOperation[],
    otherwise: IOperation[],
  ): Promise<ITxnResponse> {
    this.requests++;
    return compare
      .then(...then)
      .else(...otherwise)
      .commit();
  }

  private liveNodes(kvs: IKeyValue[]): Set<string> {
    return new Set(kvs.map((kv) => this.key(kv).slice('nodes/'.length)));
  }

  /** A key of a raw transaction response, without the prefix. */
  private key(kv: IKeyValue): string {
    const key = kv.key.toString();
    return key.startsWith(this.prefix) ? key.slice(this.prefix.length) : key;
  }
}

/** The revision a successful transaction wrote at (every key it put now has it), else undefined. */
function revisionIf(response: ITxnResponse): string | undefined {
  return response.succeeded ? response.header.revision : undefined;
}

/**
 * A pool record as read, or undefined when it is not one this IPAM wrote (whoever can write to
 * etcd can write anything): such a key is treated as no pool, and a creation overwrites it.
 */
function poolRecord(kv: IKeyValue): Versioned<PoolRecord> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(kv.value.toString());
  } catch {
    return undefined;
  }
  const record = value as Partial<PoolRecord> | null;
  const prefix = typeof record?.pool === 'string' ? parsePrefix(record.pool) : undefined;
  if (
    record === null ||
    prefix === undefined ||
    formatPrefix(prefix) !== record.pool ||
    !Number.isInteger(record.blockLength) ||
    (record.blockLength as number) < prefix.length ||
    (record.blockLength as number) > familyBits(prefix.v6) ||
    !Array.isArray(record.holders) ||
    !record.holders.every((holder) => typeof holder === 'string') ||
    (record.gateway !== undefined && valueIn(prefix, record.gateway) === undefined)
  )
    return undefined;
  return { value: record as PoolRecord, mod: kv.mod_revision };
}

function nodeKey(node: string): string {
  return `nodes/${node}`;
}

function poolKey(pool: string): string {
  return `pools/${pool}`;
}

export function blockKey(pool: string, block: string): string {
  return `blocks/${pool}/${block}`;
}

function borrowKey(pool: string, address: string): string {
  return `borrows/${pool}/${address}`;
}

/** "borrows/10.0.0.0/16/10.0.1.7" → ["10.0.0.0/16", "10.0.1.7"]. */
function splitBorrowKey(key: string): [string, string] {
  const parts = key.slice('borrows/'.length).split('/');
  return [`${parts[0]}/${parts[1]}`, parts.slice(2).join('/')];
}

function borrowOf(kv: IKeyValue): Versioned<Borrow> | undefined {
  try {
    const value = JSON.parse(kv.value.toString()) as Partial<Borrow> | null;
    const valid =
      typeof value?.node === 'string' &&
      (value.state === 'asked' || value.state === 'granted' || value.state === 'refused');
    return valid ? { value: value as Borrow, mod: kv.mod_revision } : undefined;
  } catch {
    return undefined;
  }
}

/** "blocks/10.0.0.0/16/10.0.1.0/26" → ["10.0.0.0/16", "10.0.1.0/26"]. */
function splitBlockKey(key: string): [string, string] {
  const parts = key.slice('blocks/'.length).split('/');
  return [`${parts[0]}/${parts[1]}`, `${parts[2]}/${parts[3]}`];
}
