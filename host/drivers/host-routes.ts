// What a driver may add to the host namespace's addresses and routes: only what lies inside the
// IPAM pools of its own networks (a gateway address, a route to its subnet). Owning a link is not
// enough: a default route, a loopback address or a host-wide prefix on it would take the host's
// traffic. In a sandbox it is joining, the driver configures the container as it likes.
import type * as Netlink from '../generated/wit/network-driver/interfaces/wasmnet-driver-netlink.js';
import { AF_INET, type Cidr, cidrContains, parseCidr } from '../netlink/validate.js';
import { Forbidden, InvalidParameter } from './errors.js';

/** Shorter prefixes cover more than any one network: a driver's routes never reach that wide. */
const SHORTEST_PREFIX_V4 = 8;
const SHORTEST_PREFIX_V6 = 16;

/** Throws Forbidden unless `cidr` (an address with its prefix) lies inside one of `pools`. */
export function checkHostAddress(driver: string, cidr: string, pools: readonly string[]): void {
  checkInsidePools(driver, `address ${cidr}`, parsed(cidr), pools);
}

/** Throws Forbidden unless the route's destination lies inside one of `pools` (never the default route). */
export function checkHostRoute(driver: string, route: Netlink.Route, pools: readonly string[]): void {
  if (route.destination === undefined)
    throw new Forbidden(`driver ${driver} may not add a default route in the host namespace`);
  checkInsidePools(driver, `route to ${route.destination}`, parsed(route.destination), pools);
}

function checkInsidePools(driver: string, what: string, cidr: Cidr, pools: readonly string[]): void {
  const shortest = cidr.family === AF_INET ? SHORTEST_PREFIX_V4 : SHORTEST_PREFIX_V6;
  if (cidr.prefix < shortest)
    throw new Forbidden(`driver ${driver} may not add ${what} in the host namespace: a host-wide prefix`);
  if (isLoopback(cidr))
    throw new Forbidden(`driver ${driver} may not add ${what} in the host namespace: loopback belongs to the host`);
  if (!pools.some((pool) => cidrContains(parseCidr(pool), cidr)))
    throw new Forbidden(
      `driver ${driver} may not add ${what} in the host namespace: it is not inside a pool of its networks`,
    );
}

function parsed(text: string): Cidr {
  try {
    return parseCidr(text);
  } catch (error) {
    throw new InvalidParameter((error as Error).message);
  }
}

function isLoopback(cidr: Cidr): boolean {
  if (cidr.family === AF_INET) return cidr.bytes[0] === 127;
  return cidr.bytes.subarray(0, 15).every((byte) => byte === 0) && cidr.bytes[15] === 1;
}
