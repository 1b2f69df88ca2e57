// libnetwork's sandbox: one container's namespace, its hosts and resolv.conf files, and the
// endpoints joined to it (in join order: eth0 first).
import { randomBytes } from 'node:crypto';
import { isAbsolute, join } from 'node:path';
import { ipOf } from './cidr.js';
import type { Context } from './context.js';
import type { Endpoint } from './endpoint.js';
import { EMBEDDED_DNS_ADDRESS } from './dns-api.js';
import { asNetworkError, ForbiddenError, InvalidParameterError, NoSuchSandboxError } from './errors.js';
import { leaveSandbox } from './join.js';
import { lockKey } from './locks.js';
import type { PortBinding, SandboxOptions, SandboxRecord } from './model.js';
import { PORT_MAP_OPTION, portMapBindings } from './ports.js';
import type { SandboxNamespace } from './plumbing.js';
import { HostNamespace } from './host-sandbox.js';
import { checkSandboxOptions } from './sandbox-options.js';
import { sandboxNames } from './sandbox-names.js';
import {
  buildEmbeddedResolvConf,
  buildHosts,
  buildResolvConf,
  SandboxFiles,
  upstreamResolvers,
} from './sandbox-files.js';

export class Sandbox {
  /** @internal the controller creates sandboxes */
  constructor(
    private readonly ctx: Context,
    readonly record: SandboxRecord,
    readonly namespace: SandboxNamespace,
    readonly files = new SandboxFiles(filesDir(ctx), record.id),
  ) {}

  /** @internal */
  static async create(ctx: Context, containerId: string, config: SandboxOptions): Promise<Sandbox> {
    if (containerId.trim() === '') throw new InvalidParameterError('a sandbox needs a container id');
    checkSandboxOptions(config);
    const existing = ctx.sandboxes.byContainer(containerId);
    if (existing !== undefined)
      throw new ForbiddenError(
        `container ${containerId} is already present in sandbox ${existing.id()}`,
        'sandbox-exists',
      );
    const id = randomBytes(32).toString('hex');
    const external = config.externalKey;
    if (external !== undefined && !isAbsolute(external))
      throw new InvalidParameterError(`external sandbox key ${external} is not an absolute path`);
    if (external !== undefined && config.useDefaultSandbox === true)
      throw new InvalidParameterError("a sandbox uses the host's namespace or an external key, not both");
    // libnetwork names the namespace file after the first 12 characters of the sandbox id.
    const nsName = external === undefined ? id.slice(0, 12) : '';
    const embeddedDns = servesEmbeddedDns(ctx, containerId, config);
    const files = new SandboxFiles(filesDir(ctx), id);
    const hostResolvConf = ctx.hostResolvConf(); // read once: the files and the resolver's upstreams
    try {
      files.create(
        buildHosts(config, []),
        embeddedDns
          ? buildEmbeddedResolvConf(hostResolvConf, config, EMBEDDED_DNS_ADDRESS)
          : buildResolvConf(hostResolvConf, config),
      );
    } catch (error) {
      throw asNetworkError(error, `create the files of sandbox ${containerId}`);
    }
    const removeFiles = (): void => {
      try {
        files.remove();
      } catch (undoError) {
        ctx.warn(`rollback: remove the files of sandbox ${id}: ${String(undoError)}`);
      }
    };
    let namespace: SandboxNamespace;
    try {
      const options = { ipv6: config.ipv6 === true };
      if (config.useDefaultSandbox === true) namespace = new HostNamespace(ctx.plumbing.hostKey());
      else
        namespace =
          external === undefined
            ? await ctx.plumbing.create(nsName, { ...options, dns: embeddedDns })
            : ctx.plumbing.attach(external, { ...options, verify: true });
    } catch (error) {
      removeFiles();
      throw asNetworkError(error, `create the namespace of ${containerId}`);
    }
    const record: SandboxRecord = {
      id,
      containerId,
      nsName,
      key: namespace.key,
      ...(external === undefined ? {} : { external: true }),
      config: structuredClone(config),
      endpoints: [],
      ...(embeddedDns ? { embeddedDns: true as const } : {}),
    };
    const sandbox = new Sandbox(ctx, record, namespace, files);
    try {
      sandbox.startResolver(hostResolvConf);
      ctx.store.sandboxes.put(id, record);
    } catch (error) {
      ctx.dns?.stop(namespace.key);
      removeFiles();
      await namespace
        .destroy()
        .catch((undoError: unknown) => ctx.warn(`rollback: delete namespace ${namespace.key}: ${String(undoError)}`));
      throw asNetworkError(error, `create sandbox for ${containerId}`);
    }
    ctx.sandboxes.set(id, sandbox);
    return sandbox;
  }

  id(): string {
    return this.record.id;
  }

  /** The namespace path. */
  key(): string {
    return this.record.key;
  }

  containerId(): string {
    return this.record.containerId;
  }

  /** The joined endpoints, eth0's first. */
  endpoints(): Endpoint[] {
    return this.record.endpoints
      .map((id) => this.ctx.endpoint(id))
      .filter((endpoint): endpoint is Endpoint => endpoint !== undefined);
  }

  /**
   * The ports its joins published: each join's own, else, once an endpoint is joined, the
   * sandbox's port map (what dockerd passes for `docker run -p`, published by the driver).
   */
  publishedPorts(): PortBinding[] {
    const endpoints = this.endpoints();
    const own = endpoints.flatMap((endpoint) => endpoint.record.join?.publish ?? []);
    if (own.length > 0 || endpoints.length === 0) return own;
    return portMapBindings(this.record.config.options?.[PORT_MAP_OPTION]);
  }

  info(): {
    id: string;
    containerId: string;
    key: string;
    hostsPath: string;
    resolvConfPath: string;
    config: SandboxOptions;
  } {
    return {
      id: this.id(),
      containerId: this.containerId(),
      key: this.key(),
      hostsPath: this.files.hostsPath,
      resolvConfPath: this.files.resolvConfPath,
      config: structuredClone(this.record.config),
    };
  }

  /** @internal serves the embedded DNS in the namespace, if the sandbox has it (at creation and restore). */
  startResolver(hostResolvConf = this.ctx.hostResolvConf()): void {
    if (this.record.embeddedDns !== true || this.ctx.dns === undefined) return;
    const upstreams = upstreamResolvers(hostResolvConf, this.record.config);
    this.ctx.dns.serve(this.key(), sandboxNames(this.ctx, this, upstreams), this.namespace.takeDnsSockets?.());
  }

  /** True for a sandbox in the host's namespace (libnetwork's default sandbox). */
  usesHostNamespace(): boolean {
    return this.record.config.useDefaultSandbox === true;
  }

  /** True when the namespace is wasmnet's own (neither the host's nor an engine's external one). */
  ownsNamespace(): boolean {
    return !this.usesHostNamespace() && this.record.external !== true;
  }

  /**
   * libnetwork's sandbox.Delete: leaves every endpoint, deletes the namespace (an external one,
   * or the host's, is only let go of) and the files. A namespace of wasmnet's own goes first:
   * the kernel then removes its interfaces (and their veth peers) by itself, instead of one
   * slow link delete per interface; its file is unmounted (off this thread) while the
   * drivers leave. Locks the sandbox only: every change to a join record of its endpoints is
   * made under the lock of the sandbox joined. Written `deleting` first, so that a restart
   * finishes a delete a crash cut short. `namespaceGone`: the namespace is gone already (an
   * engine removed it), so its endpoints leave without unplumbing, as from a namespace of our own.
   */
  delete(options: { namespaceGone?: boolean } = {}): Promise<void> {
    return this.ctx.locked([lockKey.sandbox(this.id())], async () => {
      this.assertLive();
      this.record.state = 'deleting';
      this.ctx.store.sandboxes.put(this.id(), this.record);
      const ownNamespace = this.ownsNamespace() || options.namespaceGone === true;
      if (!ownNamespace)
        for (const endpoint of this.endpoints().reverse()) await leaveSandbox(this.ctx, endpoint, this);
      this.ctx.sandboxes.delete(this.id());
      this.ctx.dns?.stop(this.key());
      if (ownNamespace)
        await this.ctx.links
          ?.unplugSandbox(this.key())
          .catch((error: unknown) =>
            this.ctx.warn(`unplug sandbox ${this.id()}: ${error instanceof Error ? error.message : String(error)}`),
          );
      const destroyed = this.namespace.destroy().then(
        () => {
          if (!this.usesHostNamespace()) this.ctx.links?.forgetSandbox(this.key());
        },
        (error: unknown) =>
          this.ctx.warn(`delete namespace ${this.key()}: ${error instanceof Error ? error.message : String(error)}`),
      );
      if (ownNamespace)
        for (const endpoint of this.endpoints().reverse())
          await leaveSandbox(this.ctx, endpoint, this, { namespaceGone: true });
      try {
        this.files.remove();
      } catch (error) {
        this.ctx.warn(
          `remove the files of sandbox ${this.id()}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      await destroyed;
      this.ctx.store.sandboxes.delete(this.id());
    });
  }

  /** @internal rewrites /etc/hosts from the joined endpoints' addresses (see SandboxFiles). */
  refreshHosts(): void {
    const addresses = this.endpoints()
      .flatMap((endpoint) => [endpoint.record.address, endpoint.record.addressIpv6])
      .filter((cidr): cidr is string => cidr !== undefined)
      .map(ipOf);
    this.files.writeHosts(buildHosts(this.record.config, addresses));
  }

  /** @internal */
  assertLive(): void {
    if (this.ctx.sandboxes.get(this.id()) !== this) throw new NoSuchSandboxError(this.containerId());
  }
}

/**
 * Whether a new sandbox gets the embedded DNS (Docker's rules: never in the host's namespace; by
 * default only in a namespace of wasmnet's own, since an engine that made the namespace does its
 * own DNS). Past the DNS's budget of resolvers a sandbox keeps the host's resolvers, with a warning.
 */
function servesEmbeddedDns(ctx: Context, containerId: string, config: SandboxOptions): boolean {
  if (config.embeddedDns === true && config.useDefaultSandbox === true)
    throw new InvalidParameterError(
      "a sandbox in the host's namespace uses the host's resolvers, not the embedded DNS",
    );
  if (!(config.embeddedDns ?? (config.externalKey === undefined && config.useDefaultSandbox !== true))) return false;
  if (ctx.dns === undefined) {
    if (config.embeddedDns === true) throw new InvalidParameterError('this controller serves no embedded DNS');
    return false;
  }
  if (ctx.dns.hasRoom()) return true;
  ctx.warn(`no room for another embedded DNS resolver: sandbox ${containerId} uses the host's resolvers`);
  return false;
}

/** Where the sandboxes' hosts and resolv.conf files are. */
export function filesDir(ctx: Context): string {
  return join(ctx.dataDir, 'sandboxes');
}
