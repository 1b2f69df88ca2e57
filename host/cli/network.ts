// wasmnet network ls|create|inspect|rm|connect|disconnect — shaped like `docker network`.
import { seg } from '../api/client.js';
import type { EndpointView, NetworkView, SandboxView } from '../api/port.js';
import { EXIT_FAILED, EXIT_OK, group, pairs, parse, removeEach, UsageError, type Command } from './command.js';
import { print, shortId } from './output.js';
import { parsePublish } from './ports.js';

const ls: Command = {
  name: 'ls',
  summary: 'List networks',
  help: `Usage: wasmnet network ls [--format table|json]

List networks: id, name, driver, subnets and endpoint count.
`,
  async run(args, ctx) {
    parse(args, {}, { min: 0, max: 0, names: '' });
    const networks = await ctx.client.get<NetworkView[]>('/v1/networks');
    print(ctx, networks, ['NETWORK ID', 'NAME', 'DRIVER', 'SUBNETS', 'ENDPOINTS'], (n) => [
      shortId(n.id),
      n.name,
      n.type,
      [...n.ipv4, ...n.ipv6].map((p) => p.pool).join(',') || '-',
      String(n.endpoints.length),
    ]);
    return EXIT_OK;
  },
};

const create: Command = {
  name: 'create',
  summary: 'Create a network',
  help: `Usage: wasmnet network create [OPTIONS] NAME

Create a network served by a wasmnet driver; prints its id.

Options:
  -d, --driver NAME        Network driver (default "bridge")
      --subnet CIDR        Subnet (default: one from the default pools)
      --gateway IP         Gateway address in the subnet
      --ip-range CIDR      Allocate endpoint addresses from this range only
      --ipv6               Enable IPv6
      --internal           No external connectivity (no default route)
  -o, --opt KEY=VALUE      Driver option (repeatable), e.g. com.docker.network.bridge.name=br0,
                           parent=eth1 (-d macvlan)
      --label KEY=VALUE    Label (repeatable)
      --ipam-driver NAME   IPAM driver (default "default")
      --ipam-opt KEY=VALUE IPAM driver option (repeatable)
`,
  async run(args, ctx) {
    const p = parse(
      args,
      {
        driver: { type: 'string', short: 'd' },
        subnet: { type: 'string' },
        gateway: { type: 'string' },
        'ip-range': { type: 'string' },
        ipv6: { type: 'boolean' },
        internal: { type: 'boolean' },
        opt: { type: 'string', short: 'o', multiple: true },
        label: { type: 'string', multiple: true },
        'ipam-driver': { type: 'string' },
        'ipam-opt': { type: 'string', multiple: true },
      },
      { min: 1, max: 1, names: 'NAME' },
    );
    const subnet = p.str('subnet');
    const config = {
      ...(subnet ? { subnet } : {}),
      ...(p.str('gateway') ? { gateway: p.str('gateway') } : {}),
      ...(p.str('ip-range') ? { ipRange: p.str('ip-range') } : {}),
    };
    const ipamDriver = p.str('ipam-driver');
    const ipamOpts = pairs(p.list('ipam-opt'), 'ipam-opt');
    const body = {
      name: p.positionals[0],
      driver: p.str('driver') ?? 'bridge',
      ...(p.flag('ipv6') ? { enableIPv6: true } : {}),
      ...(p.flag('internal') ? { internal: true } : {}),
      options: pairs(p.list('opt'), 'opt'),
      labels: pairs(p.list('label'), 'label'),
      ipam: {
        ...(ipamDriver ? { driver: ipamDriver } : {}),
        options: ipamOpts,
        config: Object.keys(config).length > 0 ? [config] : [],
      },
    };
    const network = await ctx.client.post<NetworkView>('/v1/networks', body);
    ctx.io.stdout(ctx.json ? `${JSON.stringify(network, null, 2)}\n` : `${network.id}\n`);
    return EXIT_OK;
  },
};

const inspect: Command = {
  name: 'inspect',
  summary: 'Show networks in detail (JSON), with their endpoints',
  help: `Usage: wasmnet network inspect NETWORK [NETWORK...]

Print each network (by name, id or id prefix) as JSON, with its endpoints.
`,
  async run(args, ctx) {
    const p = parse(args, {}, { min: 1, max: Infinity, names: 'NETWORK' });
    const out: unknown[] = [];
    for (const ref of p.positionals) {
      const network = await ctx.client.get<NetworkView>(`/v1/networks/${seg(ref)}`);
      const endpoints = await ctx.client.get<EndpointView[]>(`/v1/networks/${seg(network.id)}/endpoints`);
      out.push({ ...network, endpoints });
    }
    ctx.io.stdout(`${JSON.stringify(out, null, 2)}\n`);
    return EXIT_OK;
  },
};

const rm: Command = {
  name: 'rm',
  summary: 'Remove networks',
  help: `Usage: wasmnet network rm [--force] NETWORK [NETWORK...]

Remove networks. A network with endpoints cannot be removed, unless --force is given.

Options:
  -f, --force   Leave and delete the network's endpoints first (what an engine leaked: a
                container removed while the daemon was down)
`,
  async run(args, ctx) {
    const p = parse(args, { force: { type: 'boolean', short: 'f' } }, { min: 1, max: Infinity, names: 'NETWORK' });
    return removeEach(ctx, '/v1/networks', p.positionals, p.flag('force') ? { force: true } : undefined);
  },
};

const connect: Command = {
  name: 'connect',
  summary: 'Connect a sandbox to a network',
  help: `Usage: wasmnet network connect [OPTIONS] NETWORK SANDBOX

Create an endpoint on NETWORK and join it to SANDBOX (id or container id); prints the endpoint id.

Options:
      --ip IP             IPv4 address
      --ip6 IP            IPv6 address
      --mac MAC           MAC address
      --name NAME         Endpoint name (default SANDBOX's container id)
      --alias NAME        Another name the sandbox resolves as on NETWORK (repeatable)
      --priority N        Gateway priority (higher wins the default route)
      --interface NAME    Interface name in the sandbox (default eth0, eth1, ...)
  -p, --publish [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|udp]
                          Publish a port of the sandbox on the host (repeatable; tcp by
                          default); the endpoint must become the sandbox's gateway endpoint
`,
  async run(args, ctx) {
    const p = parse(
      args,
      {
        ip: { type: 'string' },
        ip6: { type: 'string' },
        mac: { type: 'string' },
        name: { type: 'string' },
        alias: { type: 'string', multiple: true },
        priority: { type: 'string' },
        interface: { type: 'string' },
        publish: { type: 'string', short: 'p', multiple: true },
      },
      { min: 2, max: 2, names: 'NETWORK and SANDBOX' },
    );
    const [networkRef, sandboxRef] = p.positionals as [string, string];
    const priority = p.str('priority');
    if (priority !== undefined && !/^-?\d+$/.test(priority)) throw new UsageError('--priority wants an integer');
    const publish = p.list('publish').map(parsePublish);
    const sandbox = await ctx.client.get<SandboxView>(`/v1/sandboxes/${seg(sandboxRef)}`);
    const network = await ctx.client.get<NetworkView>(`/v1/networks/${seg(networkRef)}`);
    const endpoint = await ctx.client.post<EndpointView>(`/v1/networks/${seg(network.id)}/endpoints`, {
      name: p.str('name') ?? sandbox.containerId,
      ...(p.str('ip') ? { ipv4Address: p.str('ip') } : {}),
      ...(p.str('ip6') ? { ipv6Address: p.str('ip6') } : {}),
      ...(p.str('mac') ? { macAddress: p.str('mac') } : {}),
      ...(p.list('alias').length > 0 ? { aliases: p.list('alias') } : {}),
    });
    try {
      const joined = await ctx.client.post<EndpointView>(
        `/v1/networks/${seg(network.id)}/endpoints/${seg(endpoint.id)}/join`,
        {
          sandbox: sandbox.id,
          ...(priority === undefined ? {} : { priority: Number(priority) }),
          ...(p.str('interface') ? { interfaceName: p.str('interface') } : {}),
          ...(publish.length > 0 ? { publish } : {}),
        },
      );
      ctx.io.stdout(ctx.json ? `${JSON.stringify(joined, null, 2)}\n` : `${joined.id}\n`);
      return EXIT_OK;
    } catch (error) {
      // A failed join leaves no endpoint behind.
      await ctx.client.delete(`/v1/networks/${seg(network.id)}/endpoints/${seg(endpoint.id)}`).catch(() => undefined);
      throw error;
    }
  },
};

const disconnect: Command = {
  name: 'disconnect',
  summary: 'Disconnect a sandbox from a network',
  help: `Usage: wasmnet network disconnect NETWORK SANDBOX

Leave and delete the endpoint of NETWORK that SANDBOX is joined to.
`,
  async run(args, ctx) {
    const p = parse(args, {}, { min: 2, max: 2, names: 'NETWORK and SANDBOX' });
    const [networkRef, sandboxRef] = p.positionals as [string, string];
    const sandbox = await ctx.client.get<SandboxView>(`/v1/sandboxes/${seg(sandboxRef)}`);
    const network = await ctx.client.get<NetworkView>(`/v1/networks/${seg(networkRef)}`);
    const endpoints = await ctx.client.get<EndpointView[]>(`/v1/networks/${seg(network.id)}/endpoints`);
    const endpoint = endpoints.find((ep) => ep.sandboxId === sandbox.id);
    if (endpoint === undefined) {
      ctx.io.stderr(`Error: sandbox ${sandboxRef} is not connected to network ${networkRef}\n`);
      return EXIT_FAILED;
    }
    await ctx.client.post(`/v1/networks/${seg(network.id)}/endpoints/${seg(endpoint.id)}/leave`, {
      sandbox: sandbox.id,
    });
    await ctx.client.delete(`/v1/networks/${seg(network.id)}/endpoints/${seg(endpoint.id)}`);
    return EXIT_OK;
  },
};

export const networkCommand = group('network', 'Manage networks', [ls, create, inspect, rm, connect, disconnect]);
