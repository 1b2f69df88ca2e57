// The controller's cluster mode, as `wasmnet daemon --cluster-store etcd://HOST:PORT[,…]
// --advertise-addr IP [--node-name NAME] [--cluster-ttl SECONDS]` sets it.
import { isIP } from 'node:net';
import { InvalidParameterError } from '../controller/errors.js';

export interface ClusterOptions {
  /** etcd members' client URLs (`http://HOST:PORT`); every member, so a watch survives a member's loss. */
  endpoints: string[];
  /** The address the other nodes reach this one at (DiscoverNew's address and bind address). */
  advertiseAddress: string;
  /** This node's name in the cluster (its record, its table entries); unique per node. */
  nodeName: string;
  /** TTL of the node's lease: a node silent this long is gone, with its entries. Default 10 s. */
  leaseTtlSeconds?: number;
  /** The key prefix everything lives under; `/wasmnet/` by default (tests and benches use their own). */
  prefix?: string;
}

export const DEFAULT_LEASE_TTL_SECONDS = 10;
export const DEFAULT_PREFIX = '/wasmnet/';

/** `etcd://HOST:PORT[,HOST:PORT…]` → client URLs; a clear error for anything else. */
export function parseClusterStore(store: string): string[] {
  const match = /^etcd:\/\/(.+)$/.exec(store);
  if (match === null)
    throw new InvalidParameterError(`cluster store ${JSON.stringify(store)}: expected etcd://HOST:PORT[,HOST:PORT…]`);
  return (match[1] as string).split(',').map((member) => {
    const parsed = /^([^\s:/,]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(member);
    const port = Number(parsed?.[2]);
    if (parsed === null || port < 1 || port > 65535)
      throw new InvalidParameterError(`cluster store member ${JSON.stringify(member)}: expected HOST:PORT`);
    return `http://${member}`;
  });
}

/** Checks the options before anything connects. */
export function checkClusterOptions(options: ClusterOptions): Required<ClusterOptions> {
  if (options.endpoints.length === 0) throw new InvalidParameterError('a cluster needs at least one etcd endpoint');
  if (isIP(options.advertiseAddress) === 0)
    throw new InvalidParameterError(
      `advertise address ${JSON.stringify(options.advertiseAddress)} is not an IP address`,
    );
  if (!/^[0-9A-Za-z][0-9A-Za-z_.-]{0,62}$/.test(options.nodeName))
    throw new InvalidParameterError(
      `node name ${JSON.stringify(options.nodeName)}: 1-63 letters, digits, '_', '.', '-', starting with a letter or digit`,
    );
  const ttl = options.leaseTtlSeconds ?? DEFAULT_LEASE_TTL_SECONDS;
  if (!Number.isInteger(ttl) || ttl < 2 || ttl > 3600)
    throw new InvalidParameterError(`cluster lease TTL ${ttl}: a whole number of seconds from 2 to 3600`);
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  if (!prefix.endsWith('/'))
    throw new InvalidParameterError(`cluster key prefix ${JSON.stringify(prefix)} must end with /`);
  return { ...options, leaseTtlSeconds: ttl, prefix };
}
