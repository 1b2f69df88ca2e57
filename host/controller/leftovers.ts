// What the engines removed while wasmnet could not hear it, and what an operator removes by hand.
// dockerd and podman replay nothing: a container removed while the daemon was down leaves its
// endpoint joined to a sandbox whose namespace is gone. Such an endpoint is left and deleted
// (its address released, its links swept), its sandbox with it, as CNI's GC does for podman.
import { linkOperation } from '../drivers/index.js';
import type { Context } from './context.js';
import type { Endpoint } from './endpoint.js';
import { NotFoundError } from './errors.js';
import type { Network } from './network.js';
import type { Sandbox } from './sandbox.js';

/** One object the sweep removed. */
export interface Leftover {
  kind: 'sandbox' | 'endpoint';
  id: string;
  /** The sandbox's container id, or the endpoint's name. */
  name: string;
  /** The endpoint's network id. */
  network?: string;
  /** Why it went. */
  reason: string;
}

/**
 * Leaves the endpoint's sandbox (deleting an engine's sandbox that this leaves empty: the engine
 * made it for this join alone), then deletes the endpoint.
 */
export async function leaveAndDelete(endpoint: Endpoint): Promise<void> {
  const sandbox = endpoint.sandbox();
  if (sandbox !== undefined) {
    await endpoint.leave(sandbox);
    if (sandbox.record.external === true && sandbox.endpoints().length === 0) await ignoreGone(sandbox.delete());
  }
  await endpoint.delete();
}

/** Leaves and deletes every endpoint of the network, then deletes it. */
export async function deleteWithEndpoints(network: Network): Promise<void> {
  for (const endpoint of network.endpoints()) await ignoreGone(leaveAndDelete(endpoint));
  await network.delete();
}

/**
 * Finds and removes leftovers. A sandbox whose namespace is not mounted may be one an engine
 * has not plumbed yet (dockerd's SetKey follows the Join): it goes only once it has been seen
 * gone for `graceMs`. Endpoints the start-up restore found orphaned go at the first sweep.
 */
export class LeftoverSweeper {
  readonly #missingSince = new Map<string, number>();
  readonly #orphans: Set<string>;

  constructor(
    private readonly ctx: Context,
    orphans: string[],
    private readonly graceMs: number,
  ) {
    this.#orphans = new Set(orphans);
  }

  async sweep(now = Date.now()): Promise<Leftover[]> {
    const removed: Leftover[] = [];
    for (const id of this.#orphans) {
      this.#orphans.delete(id);
      const endpoint = this.ctx.endpoint(id);
      if (endpoint === undefined || endpoint.sandbox() !== undefined) continue;
      if (await this.#removeEndpoint(endpoint))
        removed.push(endpointLeftover(endpoint, 'its sandbox was gone at start'));
    }
    const seen = new Set<string>();
    for (const sandbox of [...this.ctx.sandboxes.values()]) {
      if (sandbox.usesHostNamespace()) continue;
      seen.add(sandbox.id());
      if (this.ctx.plumbing.mounted(sandbox.key())) {
        this.#missingSince.delete(sandbox.id());
        continue;
      }
      const since = this.#missingSince.get(sandbox.id()) ?? now;
      this.#missingSince.set(sandbox.id(), since);
      if (now - since < this.graceMs) continue;
      removed.push(...(await this.#removeSandbox(sandbox)));
    }
    for (const id of this.#missingSince.keys()) if (!seen.has(id)) this.#missingSince.delete(id);
    return removed;
  }

  async #removeSandbox(sandbox: Sandbox): Promise<Leftover[]> {
    const endpoints = sandbox.endpoints();
    const reason = `namespace ${sandbox.key()} is gone`;
    try {
      await sandbox.delete({ namespaceGone: true });
    } catch (error) {
      if (isGone(error)) return [];
      this.#warn(`sandbox ${sandbox.containerId()}`, error);
      return [];
    }
    this.#missingSince.delete(sandbox.id());
    const removed: Leftover[] = [{ kind: 'sandbox', id: sandbox.id(), name: sandbox.containerId(), reason }];
    for (const endpoint of endpoints) {
      // Its join's host-side links did not go with the namespace.
      await this.ctx.links?.sweep(linkOperation.join(endpoint.id())).catch((error: unknown) => {
        this.#warn(`the links of ${endpoint.name()}'s join`, error);
      });
      if (endpoint.sandbox() === undefined && (await this.#removeEndpoint(endpoint)))
        removed.push(endpointLeftover(endpoint, reason));
    }
    return removed;
  }

  /** False when it could not go (warned) or went meanwhile. */
  async #removeEndpoint(endpoint: Endpoint): Promise<boolean> {
    try {
      await endpoint.delete();
      return true;
    } catch (error) {
      if (!isGone(error)) this.#warn(`endpoint ${endpoint.name()}`, error);
      return false;
    }
  }

  #warn(what: string, error: unknown): void {
    this.ctx.warn(`remove leftover ${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function endpointLeftover(endpoint: Endpoint, reason: string): Leftover {
  return { kind: 'endpoint', id: endpoint.id(), name: endpoint.name(), network: endpoint.network.id(), reason };
}

/** Removed by someone else meanwhile. */
const isGone = (error: unknown): boolean => error instanceof NotFoundError;

async function ignoreGone(operation: Promise<void>): Promise<void> {
  try {
    await operation;
  } catch (error) {
    if (!isGone(error)) throw error;
  }
}
