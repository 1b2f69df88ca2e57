// libnetwork's netlabel keys that network drivers read from their options, and the checks of the
// values more than one driver takes.
import { Options, WitError } from './generated/bindings';
import { invalidParameter } from './errors';
import { optionString } from './net';

/** Network option: the links' MTU. */
export const MTU = 'com.docker.network.driver.mtu';
/** Network option, set by the controller: the network has IPv6 pools. */
export const ENABLE_IPV6 = 'com.docker.network.enable_ipv6';
/** Network option, set by the controller: no traffic leaves the network. */
export const INTERNAL = 'com.docker.network.internal';
/** Join option: the interface's name in the sandbox, offered by the host. */
export const INTERFACE_NAME = 'com.docker.network.endpoint.ifname';
/** Join and external-connectivity option: published ports ([]types.PortBinding as JSON). */
export const PORT_MAP = 'com.docker.network.portmap';
/** Endpoint operational data: the interface's MAC address. */
export const MAC_ADDRESS = 'com.docker.network.endpoint.macaddress';

/** The MTU option is absent, or a decimal between 68 and 65535; else an error naming `driver`. */
export function checkMtuOption(options: Options, driver: string): WitError | null {
  const mtu = optionString(options, MTU);
  if (mtu !== null && (!isDecimal(mtu) || I32.parseInt(mtu) < 68 || I32.parseInt(mtu) > 65535))
    return invalidParameter(`${driver} driver: ${MTU}=${mtu} is not an MTU between 68 and 65535`);
  return null;
}

/** Digits only, at most 6 of them. */
function isDecimal(text: string): bool {
  if (text.length == 0 || text.length > 6) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
