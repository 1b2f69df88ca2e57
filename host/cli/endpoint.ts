// wasmnet endpoint ls|rm: an operator's view of endpoints, and removal of what an engine leaked.
import { seg } from '../api/client.js';
import type { EndpointView, NetworkView } from '../api/port.js';
import { EXIT_OK, group, parse, removeEach, type Command } from './command.js';
import { print, shortId } from './output.js';

const ls: Command = {
  name: 'ls',
  summary: "List a network's endpoints",
  help: `Usage: wasmnet endpoint ls [--format table|json] NETWORK

List the endpoints of NETWORK (name, id or id prefix): id, name, addresses and the sandbox joined.
`,
  async run(args, ctx) {
    const p = parse(args, {}, { min: 1, max: 1, names: 'NETWORK' });
    const endpoints = await ctx.client.get<EndpointView[]>(`/v1/networks/${seg(p.positionals[0]!)}/endpoints`);
    print(ctx, endpoints, ['ENDPOINT ID', 'NAME', 'IPV4', 'IPV6', 'SANDBOX'], (ep) => [
      shortId(ep.id),
      ep.name,
      ep.ipv4Address ?? '-',
      ep.ipv6Address ?? '-',
      ep.sandboxId === undefined ? '-' : shortId(ep.sandboxId),
    ]);
    return EXIT_OK;
  },
};

const rm: Command = {
  name: 'rm',
  summary: 'Remove endpoints',
  help: `Usage: wasmnet endpoint rm [--force] NETWORK ENDPOINT [ENDPOINT...]

Remove endpoints of NETWORK (each by name, id or id prefix). A joined endpoint cannot be
removed, unless --force is given.

Options:
  -f, --force   Leave the endpoint's sandbox first; an engine's sandbox (an external key) left
                empty is deleted too
`,
  async run(args, ctx) {
    const p = parse(
      args,
      { force: { type: 'boolean', short: 'f' } },
      { min: 2, max: Infinity, names: 'NETWORK and ENDPOINT' },
    );
    const [networkRef, ...endpoints] = p.positionals as [string, ...string[]];
    const network = await ctx.client.get<NetworkView>(`/v1/networks/${seg(networkRef)}`);
    return removeEach(
      ctx,
      `/v1/networks/${seg(network.id)}/endpoints`,
      endpoints,
      p.flag('force') ? { force: true } : undefined,
    );
  },
};

export const endpointCommand = group('endpoint', 'Manage endpoints', [ls, rm]);
