// wasmnet sandbox ls|inspect|create|rm.
import { resolve } from 'node:path';
import { seg } from '../api/client.js';
import type { SandboxView } from '../api/port.js';
import { EXIT_OK, group, parse, removeEach, type Command } from './command.js';
import { print, shortId } from './output.js';
import { formatPort } from './ports.js';

const ls: Command = {
  name: 'ls',
  summary: 'List sandboxes',
  help: `Usage: wasmnet sandbox ls [--format table|json]

List sandboxes: id, container id, namespace path, endpoint count and published ports.
`,
  async run(args, ctx) {
    parse(args, {}, { min: 0, max: 0, names: '' });
    const sandboxes = await ctx.client.get<SandboxView[]>('/v1/sandboxes');
    print(ctx, sandboxes, ['SANDBOX ID', 'CONTAINER', 'KEY', 'ENDPOINTS', 'PORTS'], (s) => [
      shortId(s.id),
      s.containerId,
      s.key,
      String(s.endpoints.length),
      s.ports.map(formatPort).join(',') || '-',
    ]);
    return EXIT_OK;
  },
};

const inspect: Command = {
  name: 'inspect',
  summary: 'Show sandboxes in detail (JSON), with their published ports',
  help: `Usage: wasmnet sandbox inspect SANDBOX [SANDBOX...]

Print each sandbox (by id or container id) as JSON.
`,
  async run(args, ctx) {
    const p = parse(args, {}, { min: 1, max: Infinity, names: 'SANDBOX' });
    const out: SandboxView[] = [];
    for (const ref of p.positionals) out.push(await ctx.client.get<SandboxView>(`/v1/sandboxes/${seg(ref)}`));
    ctx.io.stdout(`${JSON.stringify(out, null, 2)}\n`);
    return EXIT_OK;
  },
};

const create: Command = {
  name: 'create',
  summary: 'Create a sandbox (a network namespace) for a container',
  help: `Usage: wasmnet sandbox create [OPTIONS] CONTAINER_ID

Create a sandbox with its own network namespace, /etc/hosts and resolv.conf; prints its id.

Options:
      --hostname NAME       Host name
      --domainname NAME     Domain name
      --dns IP              Nameserver (repeatable; default: the host's)
      --dns-search DOMAIN   Search domain (repeatable)
      --dns-option OPT      resolv.conf option (repeatable)
      --add-host NAME:IP    Extra /etc/hosts entry (repeatable)
      --ipv6                Keep IPv6 on in the namespace
      --no-embedded-dns     Give it the host's resolvers, not the embedded DNS (127.0.0.11)
                            that resolves the names of the containers on its networks
      --netns PATH          Use this existing namespace (e.g. /run/netns/NAME) instead of
                            creating one; wasmnet never deletes it
`,
  async run(args, ctx) {
    const p = parse(
      args,
      {
        hostname: { type: 'string' },
        domainname: { type: 'string' },
        dns: { type: 'string', multiple: true },
        'dns-search': { type: 'string', multiple: true },
        'dns-option': { type: 'string', multiple: true },
        'add-host': { type: 'string', multiple: true },
        ipv6: { type: 'boolean' },
        'no-embedded-dns': { type: 'boolean' },
        netns: { type: 'string' },
      },
      { min: 1, max: 1, names: 'CONTAINER_ID' },
    );
    const extraHosts = p.list('add-host').map((entry) => {
      const at = entry.indexOf(':');
      return { name: entry.slice(0, at), ip: entry.slice(at + 1) };
    });
    const body = {
      containerId: p.positionals[0],
      ...(p.str('hostname') ? { hostname: p.str('hostname') } : {}),
      ...(p.str('domainname') ? { domainname: p.str('domainname') } : {}),
      ...(p.str('netns') ? { externalKey: resolve(p.str('netns')!) } : {}),
      ...(p.list('dns').length ? { dns: p.list('dns') } : {}),
      ...(p.list('dns-search').length ? { dnsSearch: p.list('dns-search') } : {}),
      ...(p.list('dns-option').length ? { dnsOptions: p.list('dns-option') } : {}),
      ...(extraHosts.length ? { extraHosts } : {}),
      ...(p.flag('ipv6') ? { ipv6: true } : {}),
      ...(p.flag('no-embedded-dns') ? { embeddedDns: false } : {}),
    };
    const sandbox = await ctx.client.post<SandboxView>('/v1/sandboxes', body);
    ctx.io.stdout(ctx.json ? `${JSON.stringify(sandbox, null, 2)}\n` : `${sandbox.id}\n`);
    return EXIT_OK;
  },
};

const rm: Command = {
  name: 'rm',
  summary: 'Remove sandboxes (leaving their networks first)',
  help: `Usage: wasmnet sandbox rm SANDBOX [SANDBOX...]

Remove sandboxes by id or container id: their endpoints leave, the namespace goes.
`,
  async run(args, ctx) {
    const p = parse(args, {}, { min: 1, max: Infinity, names: 'SANDBOX' });
    return removeEach(ctx, '/v1/sandboxes', p.positionals);
  },
};

export const sandboxCommand = group('sandbox', 'Manage sandboxes (container network namespaces)', [
  ls,
  inspect,
  create,
  rm,
]);
