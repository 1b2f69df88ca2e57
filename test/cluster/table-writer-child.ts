// A node that writes table entries under its lease, says "ready", and lives until it is killed.
// Arguments: ETCD_ENDPOINTS (comma-separated) PREFIX TTL_SECONDS COUNT
import { etcdClient, EtcdTableStore } from '../../host/cluster/index.js';

// node --test also runs this file on its own, without the parent's arguments: nothing to do then.
if (process.argv.length < 6) process.exit(0);

const [endpoints, prefix, ttl, count] = process.argv.slice(2) as [string, string, string, string];
const client = etcdClient(endpoints.split(','));
const lease = client.lease(Number(ttl));
const store = new EtcdTableStore(client, { prefix, leaseOf: () => lease, warn: (m) => process.stderr.write(`${m}\n`) });
for (let i = 0; i < Number(count); i++)
  await store.put('writer', 'n1', 'overlay_peer_table', `ep${i}`, new TextEncoder().encode(`10.0.0.${i}`));
await store.flushed();
process.stdout.write('ready\n');
setInterval(() => undefined, 60_000);
