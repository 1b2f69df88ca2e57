// The netlink rights a driver call grants or ends for its component: CreateNetwork grants the
// parent links its options name and its IPAM pools (until DeleteNetwork succeeds, or until the
// CreateNetwork fails), Join grants the sandbox (until Leave, or until the Join fails).
import type { IpamData } from '../generated/wit/network-driver/interfaces/wasmnet-driver-types.js';
import type { OwnershipRegistry } from '../netlink/index.js';
import type { Options } from './api.js';

export class CallRights {
  readonly #networkParents = new Map<string, string[]>();
  readonly #endpointSandboxes = new Map<string, string>();
  readonly #networkPools = new Map<string, string[]>();

  constructor(
    private readonly owner: string,
    private readonly rights: OwnershipRegistry,
  ) {}

  /** Grants what the call needs before it runs; the function returned settles them once it ended. */
  begin(method: string, args: unknown[]): (ok: boolean) => void {
    const [networkId, endpointId] = args as [string, string];
    const endpoint = `${networkId}/${endpointId}`;
    // A replayed join of an endpoint already joined there must not end the right if it fails.
    const joinedBefore = this.#endpointSandboxes.get(endpoint) === args[2];
    // Nor a replayed CreateNetwork (after a restart or an upgrade) end the pools of a live network.
    const createdBefore = this.#networkPools.has(networkId);
    if (method === 'createNetwork') {
      const parents = (args[1] as Options)
        .filter(([key]) => key === 'parent' || key.endsWith('.parent'))
        .map(([, value]) => value);
      this.#networkParents.set(networkId, parents);
      for (const parent of parents) this.rights.grantParent(this.owner, parent);
      const [, , v4, v6] = args as [string, Options, IpamData[], IpamData[]];
      this.#networkPools.set(
        networkId,
        [...v4, ...v6].map((data) => data.pool),
      );
    } else if (method === 'join') {
      this.#endpointSandboxes.set(endpoint, args[2] as string);
      this.rights.join(this.owner, args[2] as string);
    }
    return (ok) => {
      const sandbox = this.#endpointSandboxes.get(endpoint);
      if (sandbox !== undefined && ((method === 'join' && !ok && !joinedBefore) || method === 'leave')) {
        this.rights.leave(this.owner, sandbox);
        this.#endpointSandboxes.delete(endpoint);
      }
      if ((method === 'createNetwork' && !ok && !createdBefore) || (method === 'deleteNetwork' && ok))
        this.#endNetwork(networkId);
    };
  }

  /** The network's pools and parent grants go; a parent another network still names stays granted. */
  #endNetwork(networkId: string): void {
    this.#networkPools.delete(networkId);
    const parents = this.#networkParents.get(networkId) ?? [];
    this.#networkParents.delete(networkId);
    const stillNamed = new Set([...this.#networkParents.values()].flat());
    for (const parent of parents) if (!stillNamed.has(parent)) this.rights.revokeParent(this.owner, parent);
  }

  /** The IPAM pools (CIDRs) of the networks the component's drivers created. */
  pools(): string[] {
    return [...this.#networkPools.values()].flat();
  }
}
