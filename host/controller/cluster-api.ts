// The cluster a controller belongs to, as the model sees it (host/cluster implements it on
// etcd). Without one, a controller is a single host: its own cluster, where a global driver's
// networks are allocated and freed locally and no other node is ever discovered.
import type { ClusterNode } from './discovery.js';
import type { NetworkRecord } from './model.js';

/** What every node needs to create a global network: its record without local state. */
export type GlobalNetworkSpec = Omit<NetworkRecord, 'state' | 'tables' | 'global'>;

export interface NodeEvents {
  joined(node: ClusterNode): Promise<void>;
  left(node: ClusterNode): Promise<void>;
}

export interface GlobalNetworkEvents {
  /** Another node created it (or it existed when the watch started). */
  created(spec: GlobalNetworkSpec): Promise<void>;
  /** It was deleted (by any node). */
  deleted(id: string): Promise<void>;
}

export interface ClusterPort {
  /** This node's name (its table entries are written under it). */
  readonly nodeName: string;
  /** The other nodes: those alive now, then arrivals and departures (a lease that expired). */
  watchNodes(events: NodeEvents): Promise<void>;
  /**
   * The global networks: each present now, then creations and deletions; resolves once those
   * present now were delivered, with their ids.
   */
  watchNetworks(events: GlobalNetworkEvents): Promise<string[]>;
  /** Takes the id and name cluster-wide before NetworkAllocate; NetworkNameError when taken. */
  reserveNetwork(id: string, name: string): Promise<void>;
  /** Makes a created network visible to every node. */
  publishNetwork(spec: GlobalNetworkSpec): Promise<void>;
  /** Removes the network (and its reservation) from the cluster. */
  unpublishNetwork(id: string, name: string): Promise<void>;
  /** Before this node's first endpoint on it: refused (ForbiddenError) while it is being deleted or is gone. */
  claimEndpoints(networkId: string): Promise<void>;
  /** After this node's last endpoint on it is gone. */
  releaseEndpoints(networkId: string): Promise<void>;
  /** Starts a delete: ActiveEndpointsError when another node has endpoints on it. */
  beginDelete(networkId: string, name: string): Promise<void>;
  /** A delete that failed after beginDelete: the network is usable again. */
  abortDelete(networkId: string): Promise<void>;
}
