// This node's presence in the cluster: a record under `nodes/` attached to a lease that etcd3
// keeps alive. A lease that is lost (etcd unreachable for longer than its TTL) is granted
// again, the record written again, and whoever keeps entries under the lease (the table store,
// the endpoint claims) is told to write them again.
import type { Etcd3, Lease } from 'etcd3';
import type { ClusterNode } from '../controller/index.js';

export class NodeSession {
  #lease: Lease;
  readonly #renewed = new Set<() => Promise<void>>();
  #closed = false;

  private constructor(
    private readonly client: Etcd3,
    readonly node: ClusterNode,
    private readonly keys: { record: string; ttlSeconds: number },
    private readonly warn: (message: string) => void,
  ) {
    this.#lease = this.#grant();
  }

  /** Grants the lease and writes the node's record (replacing what a previous run of this node left). */
  static async start(
    client: Etcd3,
    node: ClusterNode,
    options: { prefix: string; ttlSeconds: number; warn: (message: string) => void },
  ): Promise<NodeSession> {
    const session = new NodeSession(
      client,
      node,
      { record: `${options.prefix}nodes/${node.name}`, ttlSeconds: options.ttlSeconds },
      options.warn,
    );
    try {
      await session.#writeRecord();
    } catch (error) {
      await session.#lease.revoke().catch(() => undefined);
      throw error;
    }
    return session;
  }

  /** The node's current lease: what is written under it dies with the node. */
  get lease(): Lease {
    return this.#lease;
  }

  /** `rewrite` runs after a lost lease was granted again (write again what lived under it). */
  onRenewed(rewrite: () => Promise<void>): () => void {
    this.#renewed.add(rewrite);
    return () => this.#renewed.delete(rewrite);
  }

  /** Leaves the cluster: the lease is revoked, so the record and every entry under it go at once. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#lease.revoke().catch(() => undefined);
  }

  #grant(): Lease {
    const lease = this.client.lease(this.keys.ttlSeconds);
    lease.on('lost', (error: Error) => {
      if (this.#closed || lease !== this.#lease) return;
      this.warn(`cluster: lease of node ${this.node.name} lost (${error.message}): joining again`);
      this.#lease = this.#grant();
      void this.#rejoin();
    });
    return lease;
  }

  async #rejoin(): Promise<void> {
    try {
      await this.#writeRecord();
      for (const rewrite of this.#renewed) await rewrite();
    } catch (error) {
      if (this.#closed) return;
      this.warn(
        `cluster: node ${this.node.name} could not join again: ${error instanceof Error ? error.message : String(error)}`,
      );
      setTimeout(() => void this.#rejoin(), 1_000).unref();
    }
  }

  async #writeRecord(): Promise<void> {
    await this.#lease.put(this.keys.record).value(JSON.stringify(this.node)).exec();
  }
}
