// Controllers as cluster nodes for tests: each a private host (test/controller/fixtures) with
// the test bridge driver and a global test driver that registers a peer table, joined to one
// etcd under the test's prefix.
import { join } from 'node:path';
import type { ClusterOptions } from '../../host/cluster/index.js';
import type { Controller } from '../../host/index.js';
import { makeHost, type TestHost } from '../controller/fixtures.js';
import { GlobalTestDriver } from '../controller/global-driver.js';
import { removeWithNamespaces } from '../support/netns.js';
import type { After } from './support.js';

export const PEER_TABLE = 'overlay_peer_table';

export interface TestNode {
  host: TestHost;
  global: GlobalTestDriver;
  controller: Controller;
  options: ClusterOptions;
}

export function nodeOptions(endpoints: string[], prefix: string, n: number, ttl = 10): ClusterOptions {
  return {
    endpoints,
    prefix,
    nodeName: `node${n}`,
    advertiseAddress: `192.0.2.${n}`,
    leaseTtlSeconds: ttl,
  };
}

/** A node: its host, its drivers, its controller in cluster mode (closed, then removed, after the test). */
export async function startNode(t: After, options: ClusterOptions, label = 'c'): Promise<TestNode> {
  const host = makeHost(label);
  t.after(() => host.cleanup());
  const global = new GlobalTestDriver(host.host).register(host.registry);
  global.tables = [PEER_TABLE];
  const controller = await host.controller({ cluster: options });
  t.after(() => controller.close());
  return { host, global, controller, options };
}

/** What a killed node's fixture leaves: its namespaces and directory. */
export function removeHostDir(dir: string): void {
  removeWithNamespaces(dir, [join(dir, 'sandboxes'), join(dir, 'host')]);
}
