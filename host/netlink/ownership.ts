// Who created which link in which namespace, and the check the driver runtime makes before a
// guest's netlink request reaches the kernel. Serializable: the controller persists it.
import { ForbiddenError } from './errors.js';

/** A namespace as the WIT names it: the host's, or a sandbox by key. */
export type NsRef = { tag: 'host' } | { tag: 'sandbox'; val: string };

/**
 * What a request does to a link:
 * - create: a new link of that name; - change/delete/read: the link itself (must be owned; read: or a granted parent);
 * - parent: use as macvlan/ipvlan parent or vxlan underlay (owned, or granted by the network's options);
 * - master: enslave something to it (owned bridge); - route: routes in the namespace, on the link when named.
 */
export type LinkOp = 'create' | 'change' | 'delete' | 'read' | 'parent' | 'master' | 'route';

export interface OwnershipState {
  links: { driver: string; ns: string; name: string }[];
  joins: { driver: string; sandbox: string }[];
  parents: { driver: string; name: string }[];
}

function nsKey(ns: NsRef): string {
  return ns.tag === 'host' ? 'host' : `sandbox:${ns.val}`;
}

function nsText(ns: NsRef): string {
  return ns.tag === 'host' ? 'the host namespace' : `sandbox ${ns.val}`;
}

export class OwnershipRegistry {
  /** "ns\0name" → driver */
  private readonly links = new Map<string, string>();
  /** driver → how many links it owns */
  private readonly counts = new Map<string, number>();
  private readonly joins = new Set<string>();
  private readonly parents = new Set<string>();

  /**
   * Records that `driver` created `name` in `ns` (after the kernel said yes). `operation`: the
   * controller operation the driver was serving, which a persistent registry keeps with the row.
   */
  recordLink(driver: string, ns: NsRef, name: string, _operation?: string): void {
    this.#set(`${nsKey(ns)}\0${name}`, driver);
  }

  #set(key: string, driver: string): void {
    this.#forget(key);
    this.links.set(key, driver);
    this.counts.set(driver, this.linkCount(driver) + 1);
  }

  /** Records the links one request created (a veth's two ends): a persistent registry writes them together. */
  recordLinks(driver: string, links: ReadonlyArray<{ ns: NsRef; name: string }>, operation?: string): void {
    for (const { ns, name } of links) this.recordLink(driver, ns, name, operation);
  }

  forgetLink(ns: NsRef, name: string): void {
    this.#forget(`${nsKey(ns)}\0${name}`);
  }

  #forget(key: string): void {
    const driver = this.links.get(key);
    if (driver === undefined) return;
    this.links.delete(key);
    this.counts.set(driver, this.linkCount(driver) - 1);
  }

  /** How many links `driver` owns, in every namespace. */
  linkCount(driver: string): number {
    return this.counts.get(driver) ?? 0;
  }

  renameLink(ns: NsRef, from: string, to: string, operation?: string): void {
    const owner = this.owner(ns, from);
    if (owner === undefined) return;
    this.forgetLink(ns, from);
    this.recordLink(owner, ns, to, operation);
  }

  /** Forgets every link of a namespace (e.g. a destroyed sandbox). */
  forgetNamespace(ns: NsRef): void {
    const prefix = `${nsKey(ns)}\0`;
    for (const key of [...this.links.keys()]) if (key.startsWith(prefix)) this.#forget(key);
    if (ns.tag === 'sandbox')
      for (const join of [...this.joins]) if (join.endsWith(`\0${ns.val}`)) this.joins.delete(join);
  }

  owner(ns: NsRef, name: string): string | undefined {
    return this.links.get(`${nsKey(ns)}\0${name}`);
  }

  /** Names of the links `driver` owns in `ns`. */
  linksOf(driver: string, ns: NsRef): string[] {
    const prefix = `${nsKey(ns)}\0`;
    return [...this.links]
      .filter(([key, owner]) => owner === driver && key.startsWith(prefix))
      .map(([key]) => key.slice(prefix.length));
  }

  /** The driver is joining (or leaving) a sandbox: it may address it until `leave`. */
  join(driver: string, sandbox: string): void {
    this.joins.add(`${driver}\0${sandbox}`);
  }

  leave(driver: string, sandbox: string): void {
    this.joins.delete(`${driver}\0${sandbox}`);
  }

  /** A network's options name `name` as the parent link the driver may use. */
  grantParent(driver: string, name: string): void {
    this.parents.add(`${driver}\0${name}`);
  }

  revokeParent(driver: string, name: string): void {
    this.parents.delete(`${driver}\0${name}`);
  }

  /** Throws ForbiddenError unless `driver` may do `op` on link `name` in `ns`. */
  check(driver: string, op: LinkOp, ns: NsRef, name?: string): void {
    const denied = (why: string): ForbiddenError =>
      new ForbiddenError(
        `driver ${driver} may not ${op}${name === undefined ? '' : ` link ${name}`} in ${nsText(ns)}: ${why}`,
      );
    if (ns.tag === 'sandbox' && !this.joins.has(`${driver}\0${ns.val}`)) throw denied('it is not joining that sandbox');
    if (name === undefined) {
      if (op === 'route' && ns.tag === 'sandbox') return;
      throw denied('a link must be named');
    }
    if (name === 'lo') throw denied('the loopback link belongs to the host');
    const owner = this.owner(ns, name);
    // A parent the network's options name may be read too: the driver checks that it exists.
    if (op === 'read' && this.parents.has(`${driver}\0${name}`)) return;
    switch (op) {
      case 'create':
        if (owner !== undefined)
          throw denied(`the name is taken by ${owner === driver ? 'one of its links' : `driver ${owner}`}`);
        return;
      case 'parent':
        if (owner === driver || this.parents.has(`${driver}\0${name}`)) return;
        throw denied("the network's options do not name it as parent");

      default:
        if (owner === undefined) throw denied('the link was not created by a driver (host or physical link)');
        if (owner !== driver) throw denied(`the link belongs to driver ${owner}`);
    }
  }

  toJSON(): OwnershipState {
    const split = (key: string): [string, string] => key.split('\0') as [string, string];
    return {
      links: [...this.links].map(([key, driver]) => {
        const [ns, name] = split(key);
        return { driver, ns, name };
      }),
      joins: [...this.joins].map((key) => {
        const [driver, sandbox] = split(key);
        return { driver, sandbox };
      }),
      parents: [...this.parents].map((key) => {
        const [driver, name] = split(key);
        return { driver, name };
      }),
    };
  }

  static fromJSON(state: OwnershipState): OwnershipRegistry {
    const registry = new OwnershipRegistry();
    for (const link of state.links) registry.#set(`${link.ns}\0${link.name}`, link.driver);
    for (const join of state.joins) registry.join(join.driver, join.sandbox);
    for (const parent of state.parents) registry.grantParent(parent.driver, parent.name);
    return registry;
  }
}
