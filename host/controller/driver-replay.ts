// libnetwork-style restore of a component's new instance (after a fault or an upgrade), before
// it serves calls: CreateNetwork for every network of its drivers the store holds, then
// CreateEndpoint for each endpoint, Join for each joined one, and ProgramExternalConnectivity
// for a join that is its sandbox's gateway endpoint; for its IPAM drivers, the pools, gateways,
// aux addresses and endpoint addresses of the networks they serve. Operations still `creating`
// are left to their own rollback. A driver that kept its state in its `store` may refuse what
// it already has (a bridge that exists): refusals are reported in one warning, never fatal.
import { toOptions } from './context.js';
import { type Capability, type Driver, programsWith } from './driver-api.js';
import { interfaceData } from './endpoint.js';
import type { Ipam } from './ipam-api.js';
import { replayAddresses, replayPools } from './ipam-replay.js';
import { pickGateway } from './join.js';
import type { EndpointRecord, NetworkRecord, SandboxRecord } from './model.js';
import { driverOptions, ipamData } from './network.js';
import { joinDriverOptions } from './ports.js';
import type { RecordStore } from './record-store.js';

/** A component's new instance: its drivers and IPAM drivers, called directly (not queued). */
export interface ReplayTarget {
  owner: string;
  reason: 'restart' | 'upgrade';
  drivers: ReadonlyMap<string, { driver: Driver; capability: Capability }>;
  ipams: ReadonlyMap<string, Ipam>;
}

export async function replayKnownState(
  store: RecordStore,
  target: ReplayTarget,
  warn: (message: string) => void,
): Promise<void> {
  const replay = new KnownStateReplay(store);
  for (const network of replay.known.networks) {
    const entry = target.drivers.get(network.type);
    if (entry !== undefined && network.state !== 'creating') await replay.network(network, entry);
  }
  for (const [name, ipam] of target.ipams) await replay.ipam(name, ipam);
  const refused = replay.refused;
  if (refused.length > 0)
    warn(
      `${target.owner}: replay after ${target.reason}: ${refused.length} call(s) refused (a driver with a store may have them already): ${refused.join('; ')}`,
    );
}

/** What the store holds, read once per replay. */
interface KnownState {
  networks: NetworkRecord[];
  endpoints: EndpointRecord[];
  sandboxes: SandboxRecord[];
}

class KnownStateReplay {
  readonly known: KnownState;
  readonly refused: string[] = [];
  readonly #networks: Map<string, NetworkRecord>;
  readonly #sandboxes: Map<string, SandboxRecord>;

  constructor(store: RecordStore) {
    this.known = { networks: store.networks.all(), endpoints: store.endpoints.all(), sandboxes: store.sandboxes.all() };
    this.#networks = new Map(this.known.networks.map((record) => [record.id, record]));
    this.#sandboxes = new Map(this.known.sandboxes.map((record) => [record.id, record]));
  }

  /** The network, then its endpoints and their joins. */
  async network(
    network: NetworkRecord,
    { driver, capability }: { driver: Driver; capability: Capability },
  ): Promise<void> {
    await this.#attempt(`CreateNetwork ${network.name}`, () =>
      driver.createNetwork(network.id, driverOptions(network), ipamData(network.ipv4), ipamData(network.ipv6)),
    );
    await this.#endpoints(network, driver, capability);
  }

  /**
   * The pools and addresses an IPAM driver gave to the networks that use it. A pool that comes
   * back under another id is reported: the store's records still name the old one.
   */
  async ipam(name: string, ipam: Ipam): Promise<void> {
    const refuse = (message: string): void => {
      this.refused.push(message);
    };
    const poolIds = new Map<string, string>();
    for (const network of this.known.networks) {
      if (network.ipamDriver !== name || network.state !== 'ready') continue;
      await replayPools(ipam, structuredClone(network), poolIds, refuse);
      for (const endpoint of this.known.endpoints) {
        if (endpoint.networkId === network.id && endpoint.state === 'ready')
          await replayAddresses(ipam, endpoint, refuse);
      }
    }
    for (const [before, after] of poolIds)
      if (before !== after) refuse(`IPAM ${name} gave pool ${before} back as ${after}`);
  }

  async #endpoints(network: NetworkRecord, driver: Driver, capability: Capability): Promise<void> {
    for (const endpoint of this.known.endpoints) {
      if (endpoint.networkId !== network.id || endpoint.state === 'creating') continue;
      await this.#attempt(`CreateEndpoint ${endpoint.name}`, () =>
        driver.createEndpoint(network.id, endpoint.id, interfaceData(endpoint), toOptions(endpoint.options)),
      );
      const join = endpoint.join;
      const sandbox = join === undefined || join.state === 'creating' ? undefined : this.#sandboxes.get(join.sandboxId);
      if (sandbox === undefined) continue;
      const options = joinDriverOptions(sandbox.config.options, join?.publish);
      await this.#attempt(`Join ${endpoint.name}`, () => driver.join(network.id, endpoint.id, sandbox.key, options));
      if (programsWith(capability, options) && !network.internal && this.#gatewayOf(sandbox.id)?.id === endpoint.id) {
        await this.#attempt(`ProgramExternalConnectivity ${endpoint.name}`, () =>
          driver.programExternalConnectivity(network.id, endpoint.id, options),
        );
      }
    }
  }

  /** The sandbox's gateway endpoint, chosen among its settled joins as the controller chooses it. */
  #gatewayOf(sandboxId: string): EndpointRecord | undefined {
    const networks = this.#networks;
    return pickGateway(
      this.known.endpoints.filter((record) => record.join?.sandboxId === sandboxId && record.join.state !== 'creating'),
      (record) => ({
        networkInternal: networks.get(record.networkId)?.internal ?? false,
        networkName: networks.get(record.networkId)?.name ?? '',
        join: record.join,
      }),
    );
  }

  async #attempt(what: string, call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (error) {
      this.refused.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
