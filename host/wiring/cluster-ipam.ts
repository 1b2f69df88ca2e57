// Cluster mode's GlobalDefault address space: a GlobalIpam on the cluster's etcd client, node
// name and lease, under the cluster's key prefix; it follows the node's lease when a lost one
// is granted again.
import { GlobalIpam } from '../../ipam/global/index.js';
import type { Cluster } from '../cluster/index.js';

export async function openClusterIpam(cluster: Cluster, warn: (message: string) => void): Promise<GlobalIpam> {
  const ipam = await GlobalIpam.open({
    client: cluster.client,
    node: cluster.nodeName,
    lease: cluster.lease,
    prefix: `${cluster.prefix}ipam/`,
  });
  cluster.session.onRenewed(() =>
    ipam
      .renewLease(cluster.lease)
      .catch((error: unknown) => warn(`global IPAM: taking the blocks back under the new lease: ${String(error)}`)),
  );
  return ipam;
}
