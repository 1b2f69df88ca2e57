// SandboxPlumbing on real namespaces (host/sandbox, host/netlink). Sandboxes live in a
// private directory; the "host" is the namespace at `hostNetns` (the process's own when absent).
import { existsSync, readdirSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { deleteNetns, isBoundNetns, openNetns, releaseNetns, Rtnl, selfNetns } from '../netlink/index.js';
import { LinkDeleter, NetnsPool, Sandbox } from '../sandbox/index.js';
import type { DefaultGateway, InterfaceConfig, SandboxNamespace, SandboxPlumbing } from '../controller/plumbing.js';

/**
 * The key of the process's own namespace when there is no `hostNetns`. Stable across restarts
 * (a `/proc/PID` path is not), so the ownership rows of links handed over from it survive one.
 */
export const PROCESS_NETNS = '/proc/self/ns/net';

export class NetnsPlumbing implements SandboxPlumbing {
  readonly #deleter = new LinkDeleter();
  readonly #pool = new NetnsPool();
  /** Keys of the namespaces handed out and not destroyed: their handles are let go on close. */
  readonly #live = new Set<string>();

  constructor(
    readonly dir: string,
    private readonly hostNetns?: string,
  ) {}

  async create(name: string, options: { ipv6: boolean }): Promise<SandboxNamespace> {
    const sandbox = Sandbox.create({ dir: this.dir, key: name, ipv6: options.ipv6, pool: this.#pool });
    return this.#sandbox({ key: sandbox.path, open: () => sandbox, external: false });
  }

  open(name: string, options: { ipv6: boolean }): SandboxNamespace | undefined {
    const path = join(this.dir, name);
    // A plain file left by a crash mid-create or mid-delete holds no namespace: the sandbox is gone.
    if (!isBoundNetns(path)) return undefined;
    return this.#sandbox({
      key: path,
      open: () => Sandbox.open({ dir: this.dir, key: name, ipv6: options.ipv6, pool: this.#pool }),
      external: false,
    });
  }

  attach(path: string, options: { ipv6: boolean }): SandboxNamespace {
    const open = (): Sandbox => Sandbox.open({ dir: dirname(path), key: basename(path), ipv6: options.ipv6 });
    return this.#sandbox({ key: path, open, external: true });
  }

  hostKey(): string {
    return this.hostNetns ?? PROCESS_NETNS;
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

interface NetnsSandboxOptions {
  key: string;
  deleter: LinkDeleter;
  /** Called when the namespace is first needed (an external one may not exist before). */
  open: () => Sandbox;
  /** Someone else's namespace: destroy() only lets go of it. */
  external: boolean;
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
    if (this.sandbox.interfaces().some((iface) => iface.name === dstName))
      await this.sandbox.removeInterface(dstName, this.options.deleter);
    else await this.options.deleter.delete(this.key, dstName);
  }

  async setDefaultGateway(gateway: DefaultGateway | undefined): Promise<void> {
    const rtnl = this.sandbox.rtnl;
    // Read the current default routes: a sandbox restored after a restart has them too.
    for (const route of rtnl.routeList()) {
      if ((route.destination === '0.0.0.0/0' || route.destination === '::/0') && route.gateway !== undefined) {
        rtnl.routeDel({ gateway: route.gateway, scope: route.scope });
      }
    }
    if (gateway?.v4 !== undefined) rtnl.routeAdd({ gateway: gateway.v4, link: gateway.dstName, scope: 'universe' });
    if (gateway?.v6 !== undefined) rtnl.routeAdd({ gateway: gateway.v6, link: gateway.dstName, scope: 'universe' });
  }

  async destroy(): Promise<void> {
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
