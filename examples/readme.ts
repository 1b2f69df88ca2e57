// libnetwork's README example in TypeScript: a bridge network, an endpoint, a sandbox, a join.
// It runs on its own "host" namespace (hostNetns) under a temporary directory, so the machine's
// own network is never touched, and removes everything it made. Needs root.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, MAC_ADDRESS } from '../host/index.js';
import { createNetns, deleteNetns } from '../host/netlink/index.js';

const dir = mkdtempSync(join(tmpdir(), 'wasmnet-example-'));
const host = createNetns(join(dir, 'host'), 'host');
try {
  const controller = await Controller.create({
    dataDir: join(dir, 'data'),
    netnsDir: join(dir, 'netns'),
    hostNetns: host.path as string,
  });
  try {
    const network = await controller.newNetwork('bridge', 'network1', {
      ipam: { config: [{ subnet: '10.77.0.0/24' }] },
    });
    const ep = await network.createEndpoint('Endpoint1');
    const sbox = await controller.newSandbox('container1', { hostname: 'test', domainname: 'docker.io' });
    await ep.join(sbox);
    const mac = (await ep.driverInfo())[MAC_ADDRESS];
    console.log(`Joined endpoint ${ep.name()} (${mac}) to sandbox ${sbox.containerId()} (${sbox.key()})`);

    await ep.leave(sbox);
    await ep.delete();
    await sbox.delete();
    await network.delete();
  } finally {
    await controller.close();
  }
} finally {
  deleteNetns(host);
  rmSync(dir, { recursive: true, force: true });
}
