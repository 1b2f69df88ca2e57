// Global IPAM instances as cluster nodes on one etcd: each with its own client and lease, as
// separate hosts would have. `crash` stops the lease's keepalive without revoking it (the
// lease then expires as a dead host's does); `stop` revokes it and closes the client.
import { randomUUID } from 'node:crypto';
import { Etcd3, type Lease } from 'etcd3';
import { GlobalIpam, type GlobalIpamOptions } from 'wasmnet/ipam/global';

export interface IpamNode {
  readonly name: string;
  readonly ipam: GlobalIpam;
  readonly client: Etcd3;
  readonly lease: Lease;
  /** Stops renewing the lease and drops the connection: the node is gone, its lease runs out. */
  crash(): Promise<void>;
  stop(): Promise<void>;
}

export interface IpamNodeOptions {
  endpoints: string[];
  /** Key prefix of the test's own (see `uniqueIpamPrefix`). */
  prefix: string;
  ttlSeconds?: number;
  blockLength?: GlobalIpamOptions['blockLength'];
}

export function uniqueIpamPrefix(): string {
  return `/wasmnet-test/${randomUUID()}/ipam/`;
}

export async function openIpamNode(name: string, options: IpamNodeOptions): Promise<IpamNode> {
  const client = new Etcd3({ hosts: options.endpoints });
  // etcd3 1.1.2 may re-arm a revoked lease's keepalive timeout on a late answer, which holds
  // the process up to one TTL after `stop`: a short default keeps tests quick to exit.
  const lease = client.lease(options.ttlSeconds ?? 5, { autoKeepAlive: true });
  // A crashed node's lease is expected to be lost: nothing to report.
  lease.on('lost', () => undefined);
  const ipam = await GlobalIpam.open({
    client,
    node: name,
    lease,
    prefix: options.prefix,
    ...(options.blockLength === undefined ? {} : { blockLength: options.blockLength }),
  });
  let closed = false;
  return {
    name,
    ipam,
    client,
    lease,
    crash: async () => {
      if (closed) return;
      closed = true;
      // A dead process answers nothing: its watch goes (etcd3 retries a closed client's watch).
      await ipam.close();
      lease.release();
      client.close();
    },
    stop: async () => {
      if (closed) return;
      closed = true;
      await ipam.close();
      await lease.revoke().catch(() => undefined);
      client.close();
    },
  };
}

/** Waits until etcd no longer lists `node` as alive (its lease expired). */
export async function waitNodeGone(client: Etcd3, prefix: string, node: string, timeoutMs = 15_000): Promise<number> {
  const began = Date.now();
  while (Date.now() - began < timeoutMs) {
    if (!(await client.get(`${prefix}nodes/${node}`).exists())) return Date.now() - began;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`node ${node} still alive after ${timeoutMs} ms`);
}
