// A controller joins its cluster after its restore: its drivers hear of the other nodes as
// they come and go, the global networks other nodes created are created here, those deleted
// while this node was down go, and the networks this node has endpoints on are claimed again
// (the claims died with the last run's lease).
import type { Context } from './context.js';
import { Network } from './network.js';

export async function joinCluster(ctx: Context): Promise<void> {
  const cluster = ctx.cluster;
  if (cluster === undefined) return;
  const warn = (what: string, error: unknown): void =>
    ctx.warn(`cluster: ${what}: ${error instanceof Error ? error.message : String(error)}`);
  await cluster.watchNodes({
    joined: (node) => ctx.discovery.joined(node),
    left: (node) => ctx.discovery.left(node),
  });
  const present = await cluster.watchNetworks({
    created: async (spec) => {
      await Network.adoptGlobal(ctx, spec).catch((error: unknown) => warn(`global network ${spec.name}`, error));
    },
    deleted: async (id) => {
      await ctx.networks
        .get(id)
        ?.deletedInCluster()
        .catch((error: unknown) => warn(`delete of global network ${id}`, error));
    },
  });
  for (const network of [...ctx.networks.values()]) {
    if (network.record.global !== true) continue;
    if (!present.includes(network.id())) {
      await network.deletedInCluster();
    } else if (network.endpoints().length > 0) {
      await cluster.claimEndpoints(network.id()).catch((error: unknown) => warn(`claim of ${network.name()}`, error));
    }
  }
}
