// A cluster node in a process of its own, to be SIGKILLed: waits for global network g1, joins
// an endpoint of it, prints its host directory and "ready", and lives until it is killed.
// Arguments: ETCD_ENDPOINTS (comma-separated) PREFIX N TTL_SECONDS
import { makeHost } from '../controller/fixtures.js';
import { GlobalTestDriver } from '../controller/global-driver.js';
import { nodeOptions, PEER_TABLE } from './nodes.js';
import { waitFor } from './support.js';

// node --test also runs this file on its own, without the parent's arguments: nothing to do then.
if (process.argv.length < 6) process.exit(0);

const [endpoints, prefix, n, ttl] = process.argv.slice(2) as [string, string, string, string];
const host = makeHost('k');
process.stdout.write(`${JSON.stringify({ dir: host.dir })}\n`);
const global = new GlobalTestDriver(host.host).register(host.registry);
global.tables = [PEER_TABLE];
const controller = await host.controller({
  cluster: nodeOptions(endpoints.split(','), prefix, Number(n), Number(ttl)),
});
await waitFor('g1', () => controller.networkByName('g1') !== undefined);
const endpoint = await controller.networkByName('g1')?.createEndpoint('killed');
await endpoint?.join(await controller.newSandbox('killed'));
process.stdout.write(`${JSON.stringify({ endpoint: endpoint?.id() })}\nready\n`);
setInterval(() => undefined, 60_000);
