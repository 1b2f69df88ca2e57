// The options the bridge driver understands (libnetwork's netlabel and bridge option names),
// and the refusal of those it does not implement: a setting is never silently ignored.
import { Options, WitError, invalidParameter, optionString } from '@wasmnet/sdk';

export const BRIDGE_NAME = 'com.docker.network.bridge.name';
export const MTU = 'com.docker.network.driver.mtu';
export const ENABLE_IPV6 = 'com.docker.network.enable_ipv6';
export const INTERNAL = 'com.docker.network.internal';
/** Join option: the interface's name in the sandbox, offered by the host. */
export const INTERFACE_NAME = 'com.docker.network.endpoint.ifname';
const ENABLE_ICC = 'com.docker.network.bridge.enable_icc';
const ENABLE_MASQUERADE = 'com.docker.network.bridge.enable_ip_masquerade';
const PORT_MAP = 'com.docker.network.portmap';
const EXPOSED_PORTS = 'com.docker.network.endpoint.exposedports';

/** Network options this driver handles; any other `com.docker.network.bridge.*` is refused. */
const KNOWN_BRIDGE_OPTIONS = [BRIDGE_NAME, ENABLE_ICC, ENABLE_MASQUERADE];

/** Refuses options whose behaviour this driver does not implement yet. */
export function checkNetworkOptions(options: Options): WitError | null {
  for (let i = 0; i < options.length; i++) {
    const key = options[i].f0;
    if (key.startsWith('com.docker.network.bridge.') && !KNOWN_BRIDGE_OPTIONS.includes(key)) {
      return invalidParameter(`bridge driver: option ${key} is not supported`);
    }
  }
  // Containers on one bridge always reach each other, and nothing is masqueraded yet.
  const icc = optionString(options, ENABLE_ICC);
  if (icc !== null && icc != 'true')
    return invalidParameter(
      `bridge driver: ${ENABLE_ICC}=${icc} is not supported (inter-container traffic is always allowed)`,
    );
  const masquerade = optionString(options, ENABLE_MASQUERADE);
  if (masquerade !== null && masquerade != 'false') {
    return invalidParameter(
      `bridge driver: ${ENABLE_MASQUERADE}=${masquerade} is not supported (no NAT yet); set it to false`,
    );
  }
  const mtu = optionString(options, MTU);
  if (mtu !== null && (!isDecimal(mtu) || I32.parseInt(mtu) < 68 || I32.parseInt(mtu) > 65535)) {
    return invalidParameter(`bridge driver: ${MTU}=${mtu} is not an MTU between 68 and 65535`);
  }
  const name = optionString(options, BRIDGE_NAME);
  if (name !== null && (name.length == 0 || name.length > 15 || name.includes('/') || name.includes(' '))) {
    return invalidParameter(`bridge driver: ${BRIDGE_NAME}=${name} is not a valid interface name`);
  }
  return null;
}

/** Published or exposed ports need NAT, which this driver does not do yet. */
export function checkEndpointOptions(options: Options): WitError | null {
  const keys = [PORT_MAP, EXPOSED_PORTS];
  for (let i = 0; i < keys.length; i++) {
    const value = optionString(options, keys[i]);
    if (value !== null && value != '' && value != '[]' && value != 'null') {
      return invalidParameter(`bridge driver: ${keys[i]} is not supported yet (no port publishing)`);
    }
  }
  return null;
}

function isDecimal(text: string): bool {
  if (text.length == 0 || text.length > 6) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
