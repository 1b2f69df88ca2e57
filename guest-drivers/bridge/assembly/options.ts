// The options the bridge driver understands (libnetwork's netlabel and bridge option names),
// and the refusal of those it does not implement: a setting is never silently ignored.
import { Options, PORT_MAP, WitError, checkMtuOption, invalidParameter, optionString } from '@wasmnet/sdk';
import { checkExposedPorts, parsePortMap } from './ports';

export const BRIDGE_NAME = 'com.docker.network.bridge.name';
export const ENABLE_ICC = 'com.docker.network.bridge.enable_icc';
export const ENABLE_MASQUERADE = 'com.docker.network.bridge.enable_ip_masquerade';
export const EXPOSED_PORTS = 'com.docker.network.endpoint.exposedports';

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
  const flags = [ENABLE_ICC, ENABLE_MASQUERADE];
  for (let i = 0; i < flags.length; i++) {
    const value = optionString(options, flags[i]);
    if (value !== null && value != 'true' && value != 'false')
      return invalidParameter(`bridge driver: ${flags[i]}=${value} is not true or false`);
  }
  const mtu = checkMtuOption(options, 'bridge');
  if (mtu !== null) return mtu;
  const name = optionString(options, BRIDGE_NAME);
  if (name !== null && (name.length == 0 || name.length > 15 || name.includes('/') || name.includes(' '))) {
    return invalidParameter(`bridge driver: ${BRIDGE_NAME}=${name} is not a valid interface name`);
  }
  return null;
}

/** Published and exposed ports are well formed; an internal network publishes none. */
export function checkEndpointOptions(options: Options, internal: bool): WitError | null {
  const portMap = optionString(options, PORT_MAP);
  if (portMap !== null) {
    const bindings = parsePortMap(portMap);
    if (!bindings.isOk) return bindings.error;
    if (internal && bindings.value.length > 0)
      return invalidParameter('bridge driver: an internal network cannot publish ports');
  }
  const exposed = optionString(options, EXPOSED_PORTS);
  return exposed !== null ? checkExposedPorts(exposed) : null;
}
