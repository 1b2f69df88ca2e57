// Docker's name resolution rules for a sandbox's embedded DNS: a container is known by its name,
// its endpoint's name and aliases and its host name, on the networks the asking sandbox shares
// with it only, and also as NAME.NETWORK. The sandbox's networks are tried in join order; the
// first that knows the name answers with every container there that has it.
import { ipOf } from './cidr.js';
import type { Context } from './context.js';
import type { NameSource } from './dns-api.js';
import type { Endpoint } from './endpoint.js';
import type { Network } from './network.js';
import type { Sandbox } from './sandbox.js';
import { canonicalIpv6 } from '../dns/wire.js';

export function sandboxNames(ctx: Context, sandbox: Sandbox, upstreams: string[]): NameSource {
  const networks = (): Network[] => sandbox.endpoints().map((endpoint) => endpoint.network);
  return {
    addresses(name, family) {
      for (const network of networks()) {
        const bare = name.endsWith(`.${network.name().toLowerCase()}`)
          ? name.slice(0, -network.name().length - 1)
          : undefined;
        const found = joinedOn(network).filter((endpoint) => {
          const names = namesOf(ctx, endpoint);
          return names.has(name) || (bare !== undefined && names.has(bare));
        });
        if (found.length === 0) continue;
        return found
          .map((endpoint) => (family === 4 ? endpoint.record.address : endpoint.record.addressIpv6))
          .filter((cidr): cidr is string => cidr !== undefined)
          .map(ipOf);
      }
      return undefined;
    },
    nameOf(ip) {
      for (const network of networks()) {
        const found = joinedOn(network).find((endpoint) =>
          [endpoint.record.address, endpoint.record.addressIpv6].some(
            (cidr) => cidr !== undefined && sameIp(ipOf(cidr), ip),
          ),
        );
        if (found !== undefined) return `${found.name()}.${network.name()}`;
      }
      return undefined;
    },
    forwards: () => networks().some((network) => !network.internal()),
    upstreams: () => upstreams,
  };
}

function joinedOn(network: Network): Endpoint[] {
  return network.endpoints().filter((endpoint) => endpoint.record.join?.state === 'ready');
}

/** An endpoint's names, lower case: its own, its aliases, its container's id and host name. */
function namesOf(ctx: Context, endpoint: Endpoint): Set<string> {
  const names = [endpoint.name(), ...(endpoint.record.aliases ?? [])];
  const sandboxId = endpoint.record.join?.sandboxId;
  const sandbox = sandboxId === undefined ? undefined : ctx.sandboxes.get(sandboxId);
  if (sandbox !== undefined) names.push(sandbox.containerId(), sandbox.record.config.hostname ?? '');
  return new Set(names.filter((name) => name !== '').map((name) => name.toLowerCase()));
}

function sameIp(a: string, b: string): boolean {
  return a.includes(':') && b.includes(':') ? canonicalIpv6(a) === canonicalIpv6(b) : a === b;
}
