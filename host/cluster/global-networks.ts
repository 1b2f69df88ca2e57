// Global networks in etcd: each node creates every one it sees, the node that creates one
// allocates it (NetworkAllocate) and the node that deletes it frees it. Keys:
//   networks/ID                 the spec every node creates the network from (JSON)
//   network-names/NAME          ID: a name is taken cluster-wide before NetworkAllocate
//   network-deleting/ID         NODE, while a delete runs (under its lease: a node that dies
//                               half way does not block the network for ever)
//   network-endpoints/ID/NODE   the node has endpoints on it (under the node's lease; written
//                               at its first endpoint, removed after its last: one write each)
// A claim and a delete are transactions on the deleting marker: a claim succeeds only while no
// delete runs, a delete starts only when none runs, then finds every claim made before it.
import type { Etcd3, Lease } from 'etcd3';
import {
  ActiveEndpointsError,
  ForbiddenError,
  type GlobalNetworkEvents,
  type GlobalNetworkSpec,
  NetworkNameError,
  NoSuchNetworkError,
} from '../controller/index.js';
import { PrefixMirror } from './prefix-mirror.js';
import { parseSpec } from './records.js';
import { SerialDelivery } from './serial-delivery.js';

export class EtcdGlobalNetworks {
  #mirror: PrefixMirror | undefined;
  /** Networks this node claimed, to claim again under a new lease. */
  readonly #claimed = new Set<string>();

  constructor(
    private readonly client: Etcd3,
    private readonly options: {
      prefix: string;
      node: string;
      lease: () => Lease;
      warn: (message: string) => void;
    },
  ) {}

  async watch(events: GlobalNetworkEvents): Promise<string[]> {
    const delivery = new SerialDelivery(this.options.warn);
    this.#mirror = await PrefixMirror.start(
      this.client,
      this.#key('networks/'),
      (changes) => {
        for (const change of changes) {
          if (change.type === 'delete') {
            void delivery.push(() => events.deleted(change.key));
            continue;
          }
          try {
            const spec = parseSpec(change.key, change.value);
            void delivery.push(() => events.created(spec));
          } catch (error) {
            this.options.warn(`cluster: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
      },
      this.options.warn,
    );
    await delivery.idle();
    return [...this.#mirror.entries().keys()];
  }

  async reserve(id: string, name: string): Promise<void> {
    const nameKey = this.#key(`network-names/${encodeURIComponent(name)}`);
    const result = await this.client
      .if(nameKey, 'Create', '==', 0)
      .and(this.#key(`networks/${id}`), 'Create', '==', 0)
      .then(this.client.put(nameKey).value(id))
      .commit();
    if (!result.succeeded) throw new NetworkNameError(name);
  }

  async publish(spec: GlobalNetworkSpec): Promise<void> {
    await this.client
      .put(this.#key(`networks/${spec.id}`))
      .value(JSON.stringify(spec))
      .exec();
  }

  async unpublish(id: string, name: string): Promise<void> {
    const nameKey = this.#key(`network-names/${encodeURIComponent(name)}`);
    await this.client
      .if(nameKey, 'Value', '==', id)
      .then(
        this.client.delete().key(nameKey),
        this.client.delete().key(this.#key(`networks/${id}`)),
        this.client.delete().key(this.#key(`network-deleting/${id}`)),
      )
      .else(
        this.client.delete().key(this.#key(`networks/${id}`)),
        this.client.delete().key(this.#key(`network-deleting/${id}`)),
      )
      .commit();
  }

  async claim(id: string): Promise<void> {
    const lease = this.options.lease();
    const result = await this.client
      .if(this.#key(`network-deleting/${id}`), 'Create', '==', 0)
      .and(this.#key(`networks/${id}`), 'Create', '>', 0)
      .then(
        this.client
          .put(this.#claimKey(id))
          .value('1')
          .lease(await lease.grant()),
      )
      .commit();
    if (!result.succeeded)
      throw new ForbiddenError(`network ${id} is being deleted or was deleted`, 'network-deleting');
    this.#claimed.add(id);
  }

  async release(id: string): Promise<void> {
    this.#claimed.delete(id);
    await this.client.delete().key(this.#claimKey(id)).exec();
  }

  async beginDelete(id: string, name: string): Promise<void> {
    const lease = this.options.lease();
    const deleting = this.#key(`network-deleting/${id}`);
    const result = await this.client
      .if(deleting, 'Create', '==', 0)
      .and(this.#key(`networks/${id}`), 'Create', '>', 0)
      .then(
        this.client
          .put(deleting)
          .value(this.options.node)
          .lease(await lease.grant()),
      )
      .commit();
    if (!result.succeeded) {
      const exists = await this.client.get(this.#key(`networks/${id}`)).exists();
      if (!exists) throw new NoSuchNetworkError(name);
      throw new ForbiddenError(`network ${name} is being deleted by another node`, 'network-deleting');
    }
    const claims = await this.client
      .getAll()
      .prefix(this.#key(`network-endpoints/${id}/`))
      .keys();
    const others = claims
      .map((key) => key.slice(key.lastIndexOf('/') + 1))
      .filter((node) => node !== this.options.node);
    if (others.length > 0) {
      await this.abortDelete(id);
      throw new ActiveEndpointsError(`${name} (endpoints on node ${others.join(', ')})`, id, others.length);
    }
  }

  async abortDelete(id: string): Promise<void> {
    await this.client
      .delete()
      .key(this.#key(`network-deleting/${id}`))
      .exec();
  }

  /** Claims again under a new lease (the old one was lost with what it held). */
  async rewrite(): Promise<void> {
    for (const id of this.#claimed) await this.claim(id);
  }

  async close(): Promise<void> {
    await this.#mirror?.close();
  }

  #claimKey(id: string): string {
    return this.#key(`network-endpoints/${id}/${this.options.node}`);
  }

  #key(rest: string): string {
    return `${this.options.prefix}${rest}`;
  }
}
