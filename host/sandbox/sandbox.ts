// A sandbox (libnetwork's osl): a network namespace for one container, with `lo` up and IPv6
// off unless asked for, into which interfaces are added with their final name, MAC, addresses,
// gateways and static routes.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { InvalidInputError } from '../netlink/errors.js';
import { createNetns, deleteNetns, type Netns, openNetns } from '../netlink/netns.js';
import { checkRoute, setLink } from '../netlink/requests.js';
import { withRollback } from '../netlink/rollback.js';
import { Rtnl } from '../netlink/rtnl.js';
import { sysctlSet } from '../netlink/sysctl.js';
import { AF_INET, AF_INET6, checkLinkName, parseCidr, parseIp, parseMac } from '../netlink/validate.js';
import type { LinkDeleter } from './deleter.js';
import { closeServerSockets, type ServerSockets } from '../dns/sockets.js';
import type { NetnsPool } from './netns-pool.js';
import { prepareSandbox } from './setup.js';

/** The name prefix of an interface removed from a sandbox while the kernel deletes it. */
export const DELETING_PREFIX = 'wngone';

export interface SandboxOptions {
  /** Directory of the namespace files (like /run/netns, or /run/docker/netns). */
  dir: string;
  /** The sandbox key: its namespace file name. */
  key: string;
  /** Keep IPv6 on for every interface (otherwise on only for interfaces given IPv6 addresses). */
  ipv6?: boolean;
  /** Namespaces made ahead of time (create), and deleted off the main thread (destroy). */
  pool?: NetnsPool;
  /** The sandbox will serve the embedded DNS: keep the DNS sockets a pooled namespace comes with. */
  dns?: boolean;
}

export interface StaticRoute {
  /** CIDR. */
  destination: string;
  /** Next hop; absent means on-link. */
  gateway?: string;
}

export interface InterfaceSpec {
  /** The link's name now (in the sandbox, or in `from`). */
  srcName: string;
  /** Its index in the sandbox, when known (e.g. a veth peer's `linkIndex`): saves a lookup. */
  srcIndex?: number;
  /** The final name: `dstName`, or `dstPrefix` + its lowest free index ("eth" → eth0, eth1). */
  dstName?: string;
  dstPrefix?: string;
  /** Where the link is, when it must be moved in (serialized in the kernel). Absent: already inside. */
  from?: Netns;
  mac?: string;
  mtu?: number;
  /** CIDRs, IPv4 and IPv6. */
  addresses?: string[];
  /** IPv6 addresses skip duplicate address detection (the default). */
  nodad?: boolean;
  gateway?: string;
  gatewayV6?: string;
  routes?: StaticRoute[];
}

export interface SandboxInterface {
  name: string;
  index: number;
  srcName: string;
  from?: Netns;
  addresses: string[];
}

export class Sandbox {
  readonly rtnl: Rtnl;
  private readonly interfaceMap = new Map<string, SandboxInterface>();
  /** DNS server sockets bound inside by the pool, until the embedded DNS takes them. */
  #dnsSockets: ServerSockets | undefined;

  private constructor(
    readonly netns: Netns,
    readonly key: string,
    readonly ipv6: boolean,
    private readonly pool: NetnsPool | undefined,
  ) {
    this.rtnl = new Rtnl(netns);
  }

  /**
   * Creates the namespace `dir/key` with `lo` up and IPv6 off unless asked for: taken from the
   * pool when one is ready (one mount), else made here (one unshare, one mount, one send).
   */
  static create(options: SandboxOptions): Sandbox {
    const ipv6 = options.ipv6 ?? false;
    const taken = options.pool?.take(options.dir, options.key, options.dns === true);
    if (taken && ipv6) {
      try {
        sysctlSet(taken.netns, 'disable-ipv6', undefined, '0');
      } catch (error) {
        if (taken.dns) closeServerSockets(taken.dns);
        deleteNetns(taken.netns);
        throw error;
      }
    }
    const netns = taken?.netns ?? createNetns(options.dir, options.key, (ns) => prepareSandbox(ns.socket(), ipv6));
    const sandbox = new Sandbox(netns, options.key, ipv6, options.pool);
    sandbox.#dnsSockets = taken?.dns;
    return sandbox;
  }

  /** A sandbox an earlier run created (its interfaces are not known to this object). */
  static open(options: SandboxOptions): Sandbox {
    return new Sandbox(openNetns(join(options.dir, options.key)), options.key, options.ipv6 ?? false, options.pool);
  }

  /**
   * The DNS server sockets the pool bound inside (127.0.0.11:53), now the caller's; undefined
   * when the namespace came without (the embedded DNS then binds its own).
   */
  takeDnsSockets(): ServerSockets | undefined {
    const sockets = this.#dnsSockets;
    this.#dnsSockets = undefined;
    return sockets;
  }

  get path(): string {
    return this.netns.path as string;
  }

  interfaces(): SandboxInterface[] {
    return [...this.interfaceMap.values()];
  }

  /**
   * Gives a link its final name, MAC, MTU, addresses, gateways and routes, and sets it up:
   * one send when the link is already inside. On failure everything done here is undone
   * (a moved link goes back under its old name).
   */
  addInterface(spec: InterfaceSpec): SandboxInterface {
    const plan = this.plan(spec);
    return withRollback((rollback) => {
      let index: number;
      let up = false;
      let currentName = spec.srcName;
      if (spec.from) {
        const from = spec.from;
        new Rtnl(from).linkMove(spec.srcName, this.netns, plan.name);
        rollback.add(`move ${plan.name} into ${this.key}`, () => this.rtnl.linkMove(plan.name, from, spec.srcName));
        currentName = plan.name;
        index = this.rtnl.index(plan.name);
      } else if (spec.srcIndex !== undefined) {
        index = spec.srcIndex;
        up = true; // not known: a rename takes it down first
      } else {
        const info = this.rtnl.linkGet(spec.srcName);
        index = info.index;
        up = info.up;
      }
      if (plan.v6 && !this.ipv6) sysctlSet(this.netns, 'disable-ipv6', currentName, '0');
      const batch = this.rtnl.batch();
      const renamed = currentName !== plan.name;
      // A link is renamed only while down.
      if (renamed && up) batch.linkSet(index, { up: false }, currentName);
      const change = { name: renamed ? plan.name : undefined, mac: spec.mac, mtu: spec.mtu, up: true };
      batch.add(
        setLink(index, currentName, change),
        setLink(index, plan.name, { up: false, name: renamed ? spec.srcName : undefined }),
      );
      for (const cidr of plan.addresses) batch.addrAdd(index, cidr, spec.nodad ?? true, plan.name);
      if (spec.gateway) batch.routeAdd({ gateway: spec.gateway, scope: 'universe' }, index, plan.name);
      if (spec.gatewayV6) batch.routeAdd({ gateway: spec.gatewayV6, scope: 'universe' }, index, plan.name);
      for (const route of spec.routes ?? []) {
        batch.routeAdd(
          { destination: route.destination, gateway: route.gateway, scope: route.gateway ? 'universe' : 'link' },
          index,
          plan.name,
        );
      }
      batch.commit(rollback);
      const added: SandboxInterface = { name: plan.name, index, srcName: spec.srcName, addresses: plan.addresses };
      if (spec.from) added.from = spec.from;
      this.interfaceMap.set(plan.name, added);
      return added;
    });
  }

  /**
   * Removes an interface: a link that was moved in goes back where it came from under its old
   * name; any other is deleted off the main thread by `deleter`. With `background` the caller
   * does not wait for the kernel (~25 ms for a veth): the link goes down and gives its name back
   * at once (the next interface may take it), and is deleted in the background.
   */
  async removeInterface(name: string, deleter: LinkDeleter, { background = false } = {}): Promise<void> {
    const found = this.interfaceMap.get(name);
    if (!found) throw new InvalidInputError(`sandbox ${this.key} has no interface ${name}`);
    if (found.from) {
      this.rtnl.linkSet(name, { up: false });
      this.rtnl.linkMove(name, found.from, found.srcName);
    } else if (background) {
      const doomed = `${DELETING_PREFIX}${randomBytes(4).toString('hex')}`;
      this.rtnl.linkSet(name, { up: false });
      this.rtnl.linkSet(name, { name: doomed });
      deleter.deleteLater(this.path, doomed);
    } else {
      await deleter.delete(this.path, name);
    }
    this.interfaceMap.delete(name);
  }

  /**
   * Deletes the namespace; the kernel removes the links inside (and veth peers) by itself.
   * With a pool its handle closes now and the file goes off the main thread (awaited here).
   */
  async destroy(): Promise<void> {
    this.interfaceMap.clear();
    // Sockets no resolver took would keep the namespace alive.
    const unused = this.takeDnsSockets();
    if (unused) closeServerSockets(unused);
    if (this.pool) await this.pool.delete(this.netns);
    else deleteNetns(this.netns);
  }

  // Everything is checked before the kernel is touched.
  // The lowest free index of the prefix: eth0, eth1, ... (a removed one is reused).
  private nextName(prefix: string): string {
    let index = 0;
    while (this.interfaceMap.has(`${prefix}${index}`)) index++;
    return `${prefix}${index}`;
  }

  private plan(spec: InterfaceSpec): { name: string; addresses: string[]; v6: boolean } {
    checkLinkName(spec.srcName, 'source interface name');
    const prefix = spec.dstPrefix ?? 'eth';
    const name = checkLinkName(spec.dstName ?? this.nextName(prefix), 'interface name');
    if (this.interfaceMap.has(name))
      throw new InvalidInputError(`sandbox ${this.key} already has an interface ${name}`);
    if (spec.mac !== undefined) parseMac(spec.mac);
    if (spec.mtu !== undefined && (!Number.isInteger(spec.mtu) || spec.mtu < 68 || spec.mtu > 65535))
      throw new InvalidInputError(`mtu ${spec.mtu} out of range`);
    const addresses = spec.addresses ?? [];
    const families = addresses.map((cidr) => parseCidr(cidr).family);
    if (spec.gateway !== undefined && parseIp(spec.gateway).family !== AF_INET)
      throw new InvalidInputError(`gateway ${spec.gateway} is not IPv4`);
    if (spec.gatewayV6 !== undefined && parseIp(spec.gatewayV6).family !== AF_INET6)
      throw new InvalidInputError(`gateway ${spec.gatewayV6} is not IPv6`);
    for (const route of spec.routes ?? [])
      checkRoute({
        destination: route.destination,
        gateway: route.gateway,
        scope: route.gateway ? 'universe' : 'link',
      });
    const v6 = families.includes(AF_INET6) || spec.gatewayV6 !== undefined;
    return { name, addresses, v6 };
  }
}
