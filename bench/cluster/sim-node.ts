// Simulated cluster nodes for bench/cluster: real controllers in cluster mode on a real etcd,
// without plumbing (sandboxes are names, not namespaces) and with an in-process global driver
// whose Join writes one table entry (AddTableEntry) and whose EventNotify and discovery calls
// are counted and timed. What is measured is the controller, the table store and etcd.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterOptions, EtcdTableStore } from '../../host/cluster/index.js';
import type {
  DefaultGateway,
  InterfaceConfig,
  SandboxNamespace,
  SandboxPlumbing,
} from '../../host/controller/index.js';
import type { Discovery, EventType, IpamData, Options } from '../../host/drivers/api.js';
import {
  type Driver,
  DriverRegistry,
  type InterfaceData,
  type JoinEffects,
  type NetworkInfoEffects,
} from '../../host/drivers/index.js';
import { Controller } from '../../host/index.js';

export const SIM_DRIVER = 'simnet';
export const SIM_TABLE = 'sim_peer_table';

/** A namespace that is only a name: interfaces and routes are accepted and forgotten. */
class NamedSandbox implements SandboxNamespace {
  constructor(readonly key: string) {}
  async addInterface(_config: InterfaceConfig): Promise<void> {}
  async removeInterface(_dstName: string): Promise<void> {}
  async hasInterface(_name: string): Promise<boolean> {
    return false;
  }
  async setDefaultGateway(_gateway: DefaultGateway | undefined, _own: string[]): Promise<string[]> {
    return [];
  }
  async destroy(): Promise<void> {}
}

/** Sandboxes without namespaces: a simulated node plumbs nothing. */
export class NoPlumbing implements SandboxPlumbing {
  constructor(readonly dir: string) {}
  async create(name: string): Promise<SandboxNamespace> {
    return new NamedSandbox(join(this.dir, name));
  }
  attach(path: string): SandboxNamespace {
    return new NamedSandbox(path);
  }
  hostKey(): string {
    return '/proc/self/ns/net';
  }
  mounted(): boolean {
    return true;
  }
  open(name: string): SandboxNamespace | undefined {
    return new NamedSandbox(join(this.dir, name));
  }
  list(): string[] {
    return [];
  }
  async remove(_name: string): Promise<void> {}
  hostRoutes(): string[] {
    return [];
  }
  hostAddresses(): string[] {
    return [];
  }
  async close(): Promise<void> {}
}

/** A global driver that keeps nothing but counts: Join adds entries keyed by the endpoint. */
export class SimDriver implements Driver {
  /** When each endpoint's Join (its AddTableEntry) ran, by endpoint id (performance.timeOrigin-based ms). */
  readonly added = new Map<string, number>();
  /** When each EventNotify create arrived, by key. */
  readonly notified = new Map<string, number>();
  readonly deleted = new Map<string, number>();
  readonly departed = new Map<string, number>();
  onEvent: (() => void) | undefined;

  async networkAllocate(): Promise<Options> {
    return [];
  }
  async networkFree(): Promise<void> {}
  async createNetwork(_id: string, _options: Options, _v4: IpamData[]): Promise<NetworkInfoEffects> {
    return { tables: [{ tableName: SIM_TABLE, objectType: 'endpoint' }] };
  }
  async deleteNetwork(): Promise<void> {}
  async createEndpoint(_network: string, _endpoint: string, iface: InterfaceData): Promise<InterfaceData> {
    return iface;
  }
  async deleteEndpoint(): Promise<void> {}
  async endpointOperInfo(): Promise<Options> {
    return [];
  }
  /** Table entries each Join adds (AddTableEntry calls): the endpoint's id, then `<id>/<n>` for the others. */
  entriesPerJoin = 1;

  async join(_network: string, endpointId: string): Promise<JoinEffects> {
    this.added.set(endpointId, now());
    const value = new TextEncoder().encode(endpointId);
    return {
      names: { srcName: `sim${endpointId.slice(0, 8)}`, dstPrefix: 'eth' },
      staticRoutes: [],
      disableGatewayService: true,
      tableEntries: Array.from({ length: this.entriesPerJoin }, (_, n) => ({
        tableName: SIM_TABLE,
        key: n === 0 ? endpointId : `${endpointId}/${n}`,
        value,
      })),
    };
  }
  async leave(): Promise<void> {}
  async programExternalConnectivity(): Promise<void> {}
  async revokeExternalConnectivity(): Promise<void> {}
  async eventNotify(type: EventType, _network: string, _table: string, key: string): Promise<void> {
    (type === 'delete' ? this.deleted : this.notified).set(key, now());
    this.onEvent?.();
  }
  async decodeTableEntry(_table: string, key: string): Promise<{ name: string; fields: Options }> {
    return { name: key, fields: [] };
  }
  async discoverNew(): Promise<void> {}
  async discoverDelete(discovery: Discovery): Promise<void> {
    if (discovery.tag === 'node') this.departed.set(discovery.val.address, now());
    this.onEvent?.();
  }
  type(): string {
    return SIM_DRIVER;
  }
}

/** Wall-clock ms with sub-ms precision, comparable between processes of one machine. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

export interface SimNode {
  controller: Controller;
  driver: SimDriver;
}

/** A node: its own data directory under `dir`, the cluster options given, the shared table store if any. */
export async function startSimNode(
  dir: string,
  cluster: ClusterOptions,
  tableStore?: EtcdTableStore,
): Promise<SimNode> {
  const dataDir = join(dir, cluster.nodeName);
  mkdirSync(dataDir, { recursive: true });
  const driver = new SimDriver();
  const registry = new DriverRegistry();
  registry.registerDriver(SIM_DRIVER, driver, {
    dataScope: 'global',
    connectivityScope: 'global',
    externalConnectivity: 'none',
  });
  const controller = await Controller.create({
    dataDir,
    drivers: registry,
    plumbing: new NoPlumbing(join(dataDir, 'netns')),
    embeddedDns: false,
    resolvConfPath: '/dev/null',
    cluster,
    ...(tableStore === undefined ? {} : { tableStore }),
    onWarning: (message) => process.stderr.write(`${cluster.nodeName}: ${message}\n`),
  });
  return { controller, driver };
}

/** Waits (polling) until the network reaches this node. */
export async function networkOn(node: SimNode, name: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (node.controller.networkByName(name) === undefined) {
    if (Date.now() > deadline) throw new Error(`network ${name} never reached ${node.controller.cluster?.nodeName}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
