// SandboxPlumbing on real namespaces (host/sandbox, host/netlink). Sandboxes live in a
// private directory; the "host" is the namespace at `hostNetns` (the process's own when absent).
import { existsSync, fstatSync, readdirSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  deleteNetns,
  InvalidInputError,
  isBoundNetns,
  netnsIdentity,
  netnsIdentityOf,
  openNetns,
  releaseNetns,
  Rtnl,
  selfNetns,
} from '../netlink/index.js';
import { RESOLVER_ADDRESS } from '../dns/address.js';
import { LinkDeleter, NetnsPool, Sandbox } from '../sandbox/index.js';
import { asNetworkError, ForbiddenError, InvalidParameterError } from '../controller/errors.js';
import type {
  DefaultGateway,
  DnsSockets,
  InterfaceConfig,
  SandboxNamespace,
  SandboxPlumbing,
} from '../controller/plumbing.js';

/**
 * The key of the process's own namespace when there is no `hostNetns`. Stable across restarts
 * (a `/proc/PID` path is not), so the ownership rows of links handed over from it survive one.
 */
export const PROCESS_NETNS = '/proc/self/ns/net';

export class NetnsPlumbing implements SandboxPlumbing {
  readonly #deleter = new LinkDeleter();
  // Spares come with the embedded DNS's sockets bound: binding them is off the setup's path.
  readonly #pool = new NetnsPool(undefined, { dns: { address: RESOLVER_ADDRESS, port: 53 } });
  /** Keys of the namespaces handed out and not destroyed: their handles are let go on close. */
  readonly #live = new Set<string>();
  /** The sandboxes' namespaces by identity (netnsIdentity): a namespace serves one sandbox. */
  readonly #claims = new Map<string, { path: string; by: object }>();

  constructor(
    readonly dir: string,
    private readonly hostNetns?: string,
  ) {}

  async create(name: string, options: { ipv6: boolean; dns?: boolean }): Promise<SandboxNamespace> {
    const sandbox = Sandbox.create({
      dir: this.dir,
      key: name,
      ipv6: options.ipv6,
      pool: this.#pool,
      dns: options.dns === true,
    });
    const identity = netnsIdentity(fstatSync(sandbox.netns.fd));
    const by = {};
    this.#claims.set(identity, { path: sandbox.path, by });
    return this.#sandbox({
      key: sandbox.path,
      open: () => sandbox,
      dnsSockets: () => sandbox.takeDnsSockets(),
      external: false,
      release: () => this.#release(identity, by),
    });
  }

  open(name: string, options: { ipv6: boolean }): SandboxNamespace | undefined {
    const path = join(this.dir, name);
    // A plain file left by a crash mid-create or mid-delete holds no namespace: the sandbox is gone.
    if (!isBoundNetns(path)) return undefined;
    const identity = lenient(() => netnsIdentityOf(path));
    const by = {};
    if (identity !== undefined) this.#claims.set(identity, { path, by });
    return this.#sandbox({
      key: path,
      open: () => Sandbox.open({ dir: this.dir, key: name, ipv6: options.ipv6, pool: this.#pool }),
      external: false,
      release: () => {
        if (identity !== undefined) this.#release(identity, by);
      },
    });
  }

  /**
   * A client's path is used only as a network namespace file (never opened otherwise: a FIFO
   * would block the event loop), never the host's or this process's namespace, never one
   * another sandbox has. Checked now when `verify` is set and the path exists (it may not yet:
   * dockerd's SetKey comes after Join), and again when the namespace is first opened.
   */
  attach(path: string, options: { ipv6: boolean; verify?: boolean }): SandboxNamespace {
    let claimed: string | undefined;
    const by = {};
    const claim = (identity: string | undefined): void => {
      if (identity === undefined || identity === claimed) return;
      this.#claim(identity, path, by);
      if (claimed !== undefined) this.#release(claimed, by);
      claimed = identity;
    };
    if (options.verify === true) claim(typed(() => netnsIdentityOf(path), path));
    else claim(lenient(() => netnsIdentityOf(path)));
    const open = (): Sandbox => {
      const sandbox = typed(() => Sandbox.open({ dir: dirname(path), key: basename(path), ipv6: options.ipv6 }), path);
      try {
        claim(netnsIdentity(fstatSync(sandbox.netns.fd)));
      } catch (error) {
        releaseNetns(path);
        throw error;
      }
      return sandbox;
    };
    return this.#sandbox({
      key: path,
      open,
      external: true,
      release: () => {
        if (claimed !== undefined) this.#release(claimed, by);
      },
    });
  }

  #claim(identity: string, path: string, by: object): void {
    const host = [this.hostKey(), PROCESS_NETNS].map((key) => lenient(() => netnsIdentityOf(key)));
    if (host.includes(identity))
      throw new ForbiddenError(`${path} is the host's network namespace: a sandbox cannot use it`, 'host-namespace');
    const holder = this.#claims.get(identity);
    if (holder !== undefined && holder.by !== by)
      throw new ForbiddenError(`${path} is the namespace of another sandbox (${holder.path})`, 'namespace-in-use');
    this.#claims.set(identity, { path, by });
  }

  #release(identity: string, by: object): void {
    if (this.#claims.get(identity)?.by === by) this.#claims.delete(identity);
  }

  hostKey(): string {
    return this.hostNetns ?? PROCESS_NETNS;
  }

  mounted(path: string): boolean {
    return lenient(() => netnsIdentityOf(path)) !== undefined;
  }

  list(): string[] {
    return existsSync(this.dir) ? readdirSync(this.dir) : [];
  }

  async remove(name: string): Promise<void> {
    const path = join(this.dir, name);
    try {
      deleteNetns(path);
    } catch (error) {
      // A crash between creating the file and bind-mounting the namespace leaves a plain file
      // (unlink refuses a file that is still a mount point).
      try {
        unlinkSync(path);
      } catch {
        throw error;
      }
    }
  }

  hostRoutes(): string[] {
    return hostRoutes(this.hostNetns);
  }

  hostAddresses(): string[] {
    const host = this.hostNetns === undefined ? selfNetns() : openNetns(this.hostNetns);
    return new Rtnl(host).addrList().map((address) => address.cidr);
  }

  /**
   * Also lets go of this process's handles on the namespaces still in use: an open handle keeps
   * a namespace, and the veths in it, alive after whoever runs next deletes it.
   */
  async close(): Promise<void> {
    await Promise.all([this.#deleter.close(), this.#pool.close()]);
    for (const key of this.#live) releaseNetns(key);
  }

  #sandbox(options: Omit<NetnsSandboxOptions, 'deleter' | 'destroyed'>): SandboxNamespace {
    this.#live.add(options.key);
    return new NetnsSandbox({
      ...options,
      deleter: this.#deleter,
      destroyed: () => this.#live.delete(options.key),
    });
  }
}

/** Destinations of the routes in the host namespace (`hostNetns`, else the process's), default routes aside. */
export function hostRoutes(hostNetns?: string): string[] {
  const host = hostNetns === undefined ? selfNetns() : openNetns(hostNetns);
  return new Rtnl(host)
    .routeList()
    .map((route) => route.destination)
    .filter((destination) => destination !== '0.0.0.0/0' && destination !== '::/0');
}

/** A client's path that is not a network namespace file is an invalid parameter. */
function typed<T>(fn: () => T, path: string): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof InvalidInputError) throw new InvalidParameterError(error.message, 'invalid-sandbox-key');
    if ((error as { errnoName?: unknown }).errnoName === 'ENOENT')
      throw new InvalidParameterError(`no network namespace at ${path}`, 'invalid-sandbox-key');
    throw asNetworkError(error, `open namespace ${path}`);
  }
}

function lenient<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

interface NetnsSandboxOptions {
  key: string;
  deleter: LinkDeleter;
  /** Called when the namespace is first needed (an external one may not exist before). */
  open: () => Sandbox;
  /** The DNS sockets the namespace came with (a new one only). */
  dnsSockets?: () => DnsSockets | undefined;
  /** Someone else's namespace: destroy() only lets go of it. */
  external: boolean;
  /** Lets go of the namespace's claim (its identity may serve another sandbox again). */
  release: () => void;
  destroyed: () => void;
}

class NetnsSandbox implements SandboxNamespace {
  readonly key: string;
  #opened: Sandbox | undefined;

  constructor(private readonly options: NetnsSandboxOptions) {
    this.key = options.key;
  }

  private get sandbox(): Sandbox {
    this.#opened ??= this.options.open();
    return this.#opened;
  }

  async addInterface(config: InterfaceConfig): Promise<void> {
    this.sandbox.addInterface({
      srcName: config.srcName,
      ...(config.srcIndex === undefined ? {} : { srcIndex: config.srcIndex }),
      dstName: config.dstName,
      ...(config.mac === undefined ? {} : { mac: config.mac }),
      addresses: config.addresses,
      routes: config.routes,
    });
  }

  async removeInterface(dstName: string): Promise<void> {
    // An interface added by a previous run is unknown to this Sandbox object: delete it directly.
    // An engine's namespace (CNI, Docker) is deleted by the engine right after the leave it waits
    // on: the link is not waited for.
    if (this.sandbox.interfaces().some((iface) => iface.name === dstName))
      await this.sandbox.removeInterface(dstName, this.options.deleter, { background: this.options.external });
    else await this.options.deleter.delete(this.key, dstName);
  }

  async hasInterface(name: string): Promise<boolean> {
    return this.sandbox.rtnl.linkList().some((link) => link.name === name);
  }

  /**
   * Only default routes through `own` interfaces are wasmnet's: any other (an engine's, in a
   * namespace it made) stays, and then no default route of that family is added beside it.
   */
  async setDefaultGateway(gateway: DefaultGateway | undefined, own: string[]): Promise<string[]> {
    const rtnl = this.sandbox.rtnl;
    const ownLinks = new Map(
      rtnl
        .linkList()
        .filter((link) => own.includes(link.name))
        .map((link) => [link.index, link.name]),
    );
    const foreign = new Map<string, string>();
    // Read the current default routes: a sandbox restored after a restart has them too.
    for (const route of rtnl.routeList()) {
      if (route.destination !== '0.0.0.0/0' && route.destination !== '::/0') continue;
      const link = route.index === undefined ? undefined : ownLinks.get(route.index);
      if (link === undefined) foreign.set(route.destination, `via ${route.gateway ?? '-'} (#${route.index ?? '-'})`);
      else if (route.gateway !== undefined) rtnl.routeDel({ gateway: route.gateway, link, scope: route.scope });
    }
    const warnings: string[] = [];
    const add = (destination: string, via: string | undefined): void => {
      if (via === undefined || gateway === undefined) return;
      const other = foreign.get(destination);
      if (other === undefined) rtnl.routeAdd({ gateway: via, link: gateway.dstName, scope: 'universe' });
      else
        warnings.push(
          `namespace ${this.key} has a default route wasmnet did not add (${other}): left in place, none added via ${via} on ${gateway.dstName}`,
        );
    };
    add('0.0.0.0/0', gateway?.v4);
    add('::/0', gateway?.v6);
    return warnings;
  }

  takeDnsSockets(): DnsSockets | undefined {
    return this.options.dnsSockets?.();
  }

  async destroy(): Promise<void> {
    this.options.release();
    if (this.options.external) {
      // Let go of the cached handle (the drivers' backend shares the cache): a namespace later
      // mounted on the same path is another one.
      releaseNetns(this.key);
    } else {
      await this.sandbox.destroy();
    }
    this.options.destroyed();
  }
}
