// A node of a wasmnet cluster on etcd: its session (record + lease), the table store, the
// global networks and the watch of the other nodes, behind the controller's ClusterPort.
// `client`, `nodeName` and `lease` are what other cluster-wide parts (the global IPAM) build on.
import type { Etcd3, Lease } from 'etcd3';
import type {
  ClusterNode,
  ClusterPort,
  GlobalNetworkEvents,
  GlobalNetworkSpec,
  NodeEvents,
} from '../controller/index.js';
import { etcdClient } from './client.js';
import { EtcdGlobalNetworks } from './global-networks.js';
import { NodeSession } from './node-session.js';
import { checkClusterOptions, type ClusterOptions } from './options.js';
import { PrefixMirror } from './prefix-mirror.js';
import { parseNode } from './records.js';
import { SerialDelivery } from './serial-delivery.js';
import { EtcdTableStore } from './table-store.js';

export class Cluster implements ClusterPort {
  readonly #mirrors: PrefixMirror[] = [];
  #closed = false;

  private constructor(
    readonly client: Etcd3,
    readonly prefix: string,
    readonly session: NodeSession,
    readonly tables: EtcdTableStore,
    readonly networks: EtcdGlobalNetworks,
    private readonly warn: (message: string) => void,
  ) {}

  /** Connects, writes this node's record under a new lease; nothing is watched yet. */
  static async join(options: ClusterOptions, warn: (message: string) => void): Promise<Cluster> {
    const checked = checkClusterOptions(options);
    const client = etcdClient(checked.endpoints);
    const node: ClusterNode = {
      name: checked.nodeName,
      address: checked.advertiseAddress,
      bindAddress: checked.advertiseAddress,
    };
    let session: NodeSession;
    try {
      session = await NodeSession.start(client, node, {
        prefix: checked.prefix,
        ttlSeconds: checked.leaseTtlSeconds,
        warn,
      });
    } catch (error) {
      client.close();
      throw error;
    }
    const tables = new EtcdTableStore(client, { prefix: checked.prefix, leaseOf: () => session.lease, warn });
    const networks = new EtcdGlobalNetworks(client, {
      prefix: checked.prefix,
      node: node.name,
      lease: () => session.lease,
      warn,
    });
    session.onRenewed(() => tables.rewrite(node.name));
    session.onRenewed(() => networks.rewrite());
    return new Cluster(client, checked.prefix, session, tables, networks, warn);
  }

  get nodeName(): string {
    return this.session.node.name;
  }

  get node(): ClusterNode {
    return this.session.node;
  }

  /** This node's lease now (it changes if etcd was unreachable longer than its TTL). */
  get lease(): Lease {
    return this.session.lease;
  }

  async watchNodes(events: NodeEvents): Promise<void> {
    const delivery = new SerialDelivery(this.warn);
    const self = this.nodeName;
    const mirror = await PrefixMirror.start(
      this.client,
      `${this.prefix}nodes/`,
      (changes) => {
        for (const change of changes) {
          if (change.key === self) continue;
          try {
            if (change.type === 'put') {
              const node = parseNode(change.key, change.value);
              void delivery.push(() => events.joined(node));
            } else {
              const node = parseNode(change.key, change.previous);
              void delivery.push(() => events.left(node));
            }
          } catch (error) {
            this.warn(`cluster: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
      },
      this.warn,
    );
    this.#mirrors.push(mirror);
    await delivery.idle();
  }

  watchNetworks(events: GlobalNetworkEvents): Promise<string[]> {
    return this.networks.watch(events);
  }

  reserveNetwork(id: string, name: string): Promise<void> {
    return this.networks.reserve(id, name);
  }

  publishNetwork(spec: GlobalNetworkSpec): Promise<void> {
    return this.networks.publish(spec);
  }

  unpublishNetwork(id: string, name: string): Promise<void> {
    return this.networks.unpublish(id, name);
  }

  claimEndpoints(networkId: string): Promise<void> {
    return this.networks.claim(networkId);
  }

  releaseEndpoints(networkId: string): Promise<void> {
    return this.networks.release(networkId);
  }

  beginDelete(networkId: string, name: string): Promise<void> {
    return this.networks.beginDelete(networkId, name);
  }

  abortDelete(networkId: string): Promise<void> {
    return this.networks.abortDelete(networkId);
  }

  /** Leaves the cluster: watches stop, the lease is revoked (this node's record and entries go). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#mirrors.map((mirror) => mirror.close()), this.tables.close(), this.networks.close()]);
    await this.session.close();
    this.client.close();
  }
}
