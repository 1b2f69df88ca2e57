// A component's host imports that need the main thread: `register` (checked against the
// registry, once per name and instance), `netlink` (checked against link ownership, carried
// out by the plumbing backend, its links tagged with the controller operation being served)
// and `firewall` (checked against link ownership and the component's pools, rules tagged alike).
import { Forbidden, NoService } from './errors.js';
import { type FirewallBackend, type FirewallCall, guardedFirewall } from './firewall.js';
import type { HostHandler } from './instance.js';
import { guardedNetlink, type LinkOwnership, type NetlinkCall, type PlumbingBackend } from './plumbing.js';
import type { Registration } from './protocol.js';
import type { DriverRegistry } from './registry.js';

export interface HostImportServices {
  owner: string;
  registry: DriverRegistry;
  ownership: LinkOwnership;
  plumbing: PlumbingBackend;
  /** The controller operation of the call the instance is serving now. */
  operation: () => string | undefined;
  /** None: this host has no firewall (a runtime made without one), and says so to the guest. */
  firewall: FirewallBackend | undefined;
  /** The IPAM pools of the networks the component's drivers created. */
  pools: () => readonly string[];
  /** How many links the component may own at once. */
  maxLinks: number;
}

export const registrationKey = (kind: Registration['kind'], name: string): string => `${kind}:${name}`;

/** The host import handler of one instance. */
export function hostImports(services: HostImportServices): HostHandler {
  const registered = new Set<string>();
  return (op, args) => {
    switch (op) {
      case 'register': {
        const [kind, name] = args as [Registration['kind'], string];
        services.registry.check(kind, name, services.owner);
        if (registered.has(registrationKey(kind, name)))
          throw new Forbidden(`${kind} "${name}" is already registered by this component`);
        registered.add(registrationKey(kind, name));
        return undefined;
      }
      case 'netlink': {
        // The worker forwards exactly the functions of HOST_IMPORT_FUNCTIONS.netlink, with their WIT arguments.
        const call = { op: args[0], args: args.slice(1) } as NetlinkCall;
        const caller = { driver: services.owner, pools: services.pools(), maxLinks: services.maxLinks };
        return guardedNetlink(services.ownership, services.plumbing, caller, call, services.operation());
      }
      case 'firewall': {
        // The worker forwards exactly the functions of HOST_IMPORT_FUNCTIONS.firewall.
        const call = { op: args[0], args: args.slice(1) } as FirewallCall;
        if (services.firewall === undefined) throw new NoService('this host has no firewall');
        const caller = { driver: services.owner, operation: services.operation(), pools: services.pools() };
        guardedFirewall(services.firewall, services.ownership.registry, caller, call);
        return undefined;
      }
      default:
        throw new Forbidden(`unknown host import ${op}`);
    }
  };
}
