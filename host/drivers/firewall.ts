// The guest's `firewall` import: each request is checked as netlink requests are (a bridge the
// driver created in the host namespace, subnets and addresses inside its networks' pools, a host
// port nobody publishes), then carried out by the firewall backend, tagged with the operation.
import type * as Firewall from '../generated/wit/network-driver/interfaces/wasmnet-driver-firewall.js';
import type { OwnedRule } from '../firewall/index.js';
import { AF_INET, type Cidr, checkLinkName, cidrContains, parseCidr } from '../netlink/validate.js';
import type { OwnershipRegistry } from '../netlink/ownership.js';
import type { HostCall } from '../wit/host-imports.js';
import { DriverError, Forbidden, InvalidParameter } from './errors.js';
import { linkOperation } from './plumbing.js';

export type FirewallCall = HostCall<'firewall'>;

/** Carries out firewall rules already allowed by the check (host/firewall's NftFirewall). */
export interface FirewallBackend {
  add(owned: OwnedRule): void;
  /** Removes the driver's rule; false when it had none. */
  remove(driver: string, rule: Firewall.Rule): boolean;
  /** The rule publishing the same host port (protocol and port), if any. */
  publishedOver(port: Firewall.PublishedPort): OwnedRule | undefined;
  /** Removes every rule of a controller operation (a network gone, an endpoint left). */
  sweep(operation: string): string[];
}

/** What the check needs to know of the calling driver. */
export interface FirewallCaller {
  driver: string;
  /** The controller operation being served: rules are made only while serving one. */
  operation: string | undefined;
  /** The IPAM pools (CIDRs) of the networks this component's drivers created. */
  pools: readonly string[];
}

export function guardedFirewall(
  backend: FirewallBackend,
  links: OwnershipRegistry,
  caller: FirewallCaller,
  call: FirewallCall,
): void {
  const [rule] = call.args;
  if (call.op === 'removeRule') {
    // Removing names only the driver's own rules: nothing to check but the shape.
    checkRule(links, caller, rule, false);
    wrap(() => backend.remove(caller.driver, rule));
    return;
  }
  // A network's calls and a join's make rules; CreateEndpoint (tagged too, for its links) makes none.
  const of = caller.operation === undefined ? undefined : linkOperation.parse(caller.operation);
  if (of === undefined || 'endpoint' in of)
    throw new Forbidden('firewall rules are made while serving CreateNetwork, Join or ProgramExternalConnectivity');
  checkRule(links, caller, rule, true);
  if (rule.tag === 'publish') {
    const holder = backend.publishedOver(rule.val);
    const same = holder?.driver === caller.driver && JSON.stringify(holder.rule) === JSON.stringify(rule);
    if (holder !== undefined && !same)
      throw new Forbidden(`host port ${rule.val.protocol}/${rule.val.hostPort} is already published`);
  }
  wrap(() => backend.add({ driver: caller.driver, operation: caller.operation as string, rule }));
}

function checkRule(links: OwnershipRegistry, caller: FirewallCaller, rule: Firewall.Rule, adding: boolean): void {
  switch (rule.tag) {
    case 'accept-forwarding':
      ownedBridge(links, caller.driver, rule.val.bridge, adding);
      return;
    case 'isolate':
    case 'drop-inter-container':
      ownedBridge(links, caller.driver, rule.val, adding);
      return;
    case 'masquerade': {
      ownedBridge(links, caller.driver, rule.val.bridge, adding);
      const subnet = ipv4Cidr(rule.val.subnet);
      if (adding && !insidePools(subnet, caller.pools))
        throw new Forbidden(`subnet ${rule.val.subnet} is not inside a pool of driver ${caller.driver}'s networks`);
      return;
    }
    case 'publish': {
      const port = rule.val;
      ownedBridge(links, caller.driver, port.bridge, adding);
      if (port.hostPort < 1 || port.hostPort > 65535 || port.containerPort < 1 || port.containerPort > 65535)
        throw new InvalidParameter(`ports must be 1..65535 (host ${port.hostPort}, container ${port.containerPort})`);
      if (port.hostIp !== undefined) ipv4Cidr(`${port.hostIp}/32`);
      const container = ipv4Cidr(`${port.containerIp}/32`);
      if (adding && !insidePools(container, caller.pools))
        throw new Forbidden(`address ${port.containerIp} is not inside a pool of driver ${caller.driver}'s networks`);
    }
  }
}

function ownedBridge(links: OwnershipRegistry, driver: string, name: string, adding: boolean): void {
  wrap(() => checkLinkName(name, 'bridge'));
  // A rule may be removed after its bridge is gone.
  if (!adding) return;
  const owner = links.owner({ tag: 'host' }, name);
  if (owner !== driver)
    throw new Forbidden(
      `driver ${driver} may not filter link ${name}: ${owner === undefined ? 'no driver created it' : `it belongs to driver ${owner}`}`,
    );
}

/** A subnet or address the firewall acts on: IPv4 only. */
function ipv4Cidr(text: string): Cidr {
  const cidr = wrap(() => parseCidr(text));
  if (cidr.family !== AF_INET) throw new InvalidParameter(`${text}: the firewall handles IPv4 only`);
  return cidr;
}

/** `cidr` lies inside one of the pools (an IPv6 pool holds no IPv4 subnet). */
function insidePools(cidr: Cidr, pools: readonly string[]): boolean {
  return pools.some((pool) => cidrContains(parseCidr(pool), cidr));
}

/** Malformed values are the guest's `invalid-parameter`; kernel refusals keep their kind. */
function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof DriverError) throw error;
    const code = (error as { code?: unknown }).code;
    const message = error instanceof Error ? error.message : String(error);
    if (code === 'invalid-parameter' || (error as Error).name === 'InvalidInputError')
      throw new InvalidParameter(message);
    throw new DriverError('internal', message);
  }
}
