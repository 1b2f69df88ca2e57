// Simulated nodes in a process of their own, for bench/cluster. Arguments:
//   ENDPOINTS PREFIX DIR FIRST COUNT NETWORK ENTRIES TTL
// Starts COUNT nodes (sim<FIRST>…), sharing one table store (one watch per table for the
// process); node FIRST=0 creates the global network NETWORK; prints {"ready":true} once every
// node has it. On "go" (stdin) each node joins an endpoint whose driver adds ENTRIES table
// entries, and the process prints, per node, when it had seen every other node's entries:
// {"done":[ms,…]}.
// With ENTRIES 0 it only joins one endpoint and waits to be killed (a host that dies).
import { createInterface } from 'node:readline';
import { etcdClient, EtcdTableStore } from '../../host/cluster/index.js';
import { now, SIM_DRIVER, type SimNode, networkOn, startSimNode } from './sim-node.js';

const [endpointList, prefix, dir, first, count, networkName, entries, ttl] = process.argv.slice(2) as string[];
const endpoints = (endpointList as string).split(',');
const [firstIndex, nodeCount, perNode] = [Number(first), Number(count), Number(entries)];
const nodes = new Map<string, SimNode>();
const client = etcdClient(endpoints);
const tables = new EtcdTableStore(client, {
  prefix: prefix as string,
  leaseOf: (host) => {
    const lease = nodes.get(host)?.controller.cluster?.lease;
    if (lease === undefined) throw new Error(`no node ${host}`);
    return lease;
  },
  warn: (message) => process.stderr.write(`${message}\n`),
});
const say = (value: object): void => void process.stdout.write(`${JSON.stringify(value)}\n`);

for (let i = firstIndex; i < firstIndex + nodeCount; i++) {
  const nodeName = `sim${i}`;
  const node = await startSimNode(
    dir as string,
    {
      endpoints,
      prefix: prefix as string,
      nodeName,
      advertiseAddress: `10.255.${i >> 8}.${i & 255}`,
      leaseTtlSeconds: Number(ttl),
    },
    tables,
  );
  nodes.set(nodeName, node);
}
const all = [...nodes.values()];
if (firstIndex === 0)
  await all[0]?.controller.newNetwork(SIM_DRIVER, networkName as string, {
    ipam: { config: [{ subnet: '10.128.0.0/16' }] },
  });
for (const node of all) await networkOn(node, networkName as string);

async function joinOne(node: SimNode, name: string): Promise<void> {
  const network = node.controller.networkByName(networkName as string);
  const endpoint = await network?.createEndpoint(name);
  await endpoint?.join(await node.controller.newSandbox(`${node.controller.cluster?.nodeName}-${name}`));
}

if (perNode === 0) {
  await joinOne(all[0] as SimNode, 'victim');
  say({ ready: true });
  setInterval(() => undefined, 60_000);
} else {
  say({ ready: true });
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line === 'go') {
      const others = (Number(process.env.SIM_TOTAL) - 1) * perNode;
      const done = all.map(
        (node) =>
          new Promise<number>((resolve) => {
            const check = (): void => {
              if (node.driver.notified.size >= others) resolve(Math.max(...node.driver.notified.values()));
            };
            node.driver.onEvent = check;
            check();
          }),
      );
      // One join per node, whose driver adds all of the node's entries (AddTableEntry × ENTRIES).
      await Promise.all(
        all.map(async (node) => {
          node.driver.entriesPerJoin = perNode;
          await joinOne(node, 'e');
        }),
      );
      const joinedAt = now();
      say({ done: await Promise.all(done), joinedAt });
    } else if (line === 'exit') {
      for (const node of all) await node.controller.close();
      await tables.close();
      client.close();
      process.exit(0);
    }
  }
}
