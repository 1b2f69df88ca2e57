// Node 2 of bench/cluster's overlay figures, in a process of its own as another host's daemon
// would be: a controller in cluster mode plumbing HOST_NETNS, with a container on the overlay
// network NETWORK once node 1 has created it, so that each of node 1's joins is programmed here.
// Arguments: ENDPOINTS PREFIX DIR HOST_NETNS ADDRESS NETWORK. Prints {"ready":true}; when its
// stdin ends it removes its container, closes and exits.
import { once } from 'node:events';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Controller, type Network } from '../../host/index.js';

const [endpoints, prefix, dir, hostNetns, address, networkName] = process.argv.slice(2) as string[];
const controller = await Controller.create({
  dataDir: join(dir as string, 'data'),
  netnsDir: join(dir as string, 'netns'),
  hostNetns: hostNetns as string,
  cluster: {
    endpoints: (endpoints as string).split(','),
    advertiseAddress: address as string,
    nodeName: 'node1',
    prefix: prefix as string,
  },
});
let network: Network | undefined;
for (let i = 0; i < 3000 && network === undefined; i++) {
  network = controller.networkByName(networkName as string);
  if (network === undefined) await sleep(10);
}
if (network === undefined) throw new Error(`network ${networkName} never reached node 2`);
const endpoint = await network.createEndpoint('remote');
const sandbox = await controller.newSandbox('remote');
await endpoint.join(sandbox);
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
process.stdin.resume();
await once(process.stdin, 'end');
await sandbox.delete();
await endpoint.delete();
await controller.close();
