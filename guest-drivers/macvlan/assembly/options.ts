// The options the macvlan driver understands (libnetwork's macvlan option names), and the
// refusal of those it cannot honour: a setting is never silently ignored.
import {
  MTU,
  MacvlanMode,
  Options,
  PORT_MAP,
  WitError,
  checkMtuOption,
  invalidParameter,
  optionString,
} from '@wasmnet/sdk';

/** `-o parent=IFACE`: the host link the network's macvlans sit on. */
export const PARENT = 'parent';
/** `-o macvlan_mode=bridge|private|vepa|passthru` (bridge when absent). */
export const MODE = 'macvlan_mode';

const MODES = ['bridge', 'private', 'vepa', 'passthru'];

/** The mode an option names (checked by checkNetworkOptions). */
export function modeOf(name: string): MacvlanMode {
  if (name == 'private') return MacvlanMode.Private;
  if (name == 'vepa') return MacvlanMode.Vepa;
  if (name == 'passthru') return MacvlanMode.Passthru;
  return MacvlanMode.Bridge;
}

/** Option keys of other drivers, or of this one, that it does not implement. */
function unsupported(key: string): bool {
  if (key == PARENT || key == MODE || key == MTU) return false;
  return (
    key.startsWith('macvlan_') ||
    key.startsWith('ipvlan_') ||
    key.startsWith('com.docker.network.bridge.') ||
    key.startsWith('com.docker.network.driver.') ||
    key.endsWith('.parent')
  );
}

/** Refuses a network whose options this driver cannot honour; the parent is required. */
export function checkNetworkOptions(options: Options): WitError | null {
  for (let i = 0; i < options.length; i++) {
    const key = options[i].f0;
    if (unsupported(key)) return invalidParameter(`macvlan driver: option ${key} is not supported`);
  }
  const parent = optionString(options, PARENT);
  if (parent === null || parent.length == 0)
    return invalidParameter('macvlan driver: option parent (-o parent=IFACE) is required');
  if (parent == 'lo') return invalidParameter('macvlan driver: loopback interface is not a valid macvlan parent link');
  if (parent.length > 15 || parent.includes('/') || parent.includes(' '))
    return invalidParameter(`macvlan driver: parent=${parent} is not a valid interface name`);
  const mode = optionString(options, MODE);
  if (mode !== null && mode.length > 0 && !MODES.includes(mode))
    return invalidParameter(`macvlan driver: macvlan_mode=${mode} is not one of bridge, private, vepa, passthru`);
  return checkMtuOption(options, 'macvlan');
}

/** A port map with bindings: macvlan endpoints are reached at their own address, nothing is published. */
export function checkEndpointOptions(options: Options): WitError | null {
  const portMap = optionString(options, PORT_MAP);
  if (portMap !== null && portMap != '' && portMap != '[]' && portMap != 'null')
    return invalidParameter('macvlan driver: ports cannot be published (containers are reached at their own address)');
  return null;
}
