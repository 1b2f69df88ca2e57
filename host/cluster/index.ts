// Cluster mode on etcd (issue #19): node records under a lease, table events, global networks
// and node discovery. host/wiring plugs a Cluster into the controller's ports.
export { Cluster } from './cluster.js';
export { etcdClient } from './client.js';
export { EtcdTableStore } from './table-store.js';
export { PrefixMirror, type MirrorChange } from './prefix-mirror.js';
export {
  checkClusterOptions,
  type ClusterOptions,
  DEFAULT_LEASE_TTL_SECONDS,
  DEFAULT_PREFIX,
  parseClusterStore,
} from './options.js';
