// The network options the overlay driver understands; any other overlay option is refused, so a
// setting is never silently ignored.
import { MTU, Options, WitError, invalidParameter, optionString, optionU32 } from '@wasmnet/sdk';
import { VXLANID_OPTION, vniOption } from './vni';

/**
 * The underlay link the VXLAN device sends through, by name (the same on every node); without
 * it the kernel routes each packet to the remote VTEP.
 */
export const PARENT = 'parent';
const OVERLAY_PREFIX = 'com.docker.network.driver.overlay.';
const DEFAULT_MTU: u32 = 1500;
/** The smallest underlay MTU that leaves IPv4's 68 bytes inside the tunnel. */
const MIN_MTU: u32 = 118;

export function checkNetworkOptions(options: Options): WitError | null {
  for (let i = 0; i < options.length; i++) {
    const key = options[i].f0;
    if (key.startsWith(OVERLAY_PREFIX) && key != VXLANID_OPTION)
      return invalidParameter(`overlay driver: option ${key} is not supported`);
  }
  const vni = optionString(options, VXLANID_OPTION);
  if (vni !== null) {
    const parsed = vniOption(vni);
    if (!parsed.isOk) return parsed.error;
  }
  // The underlay's MTU (1500 when absent): the network's links get it less the VXLAN overhead.
  const mtu = optionString(options, MTU);
  if (mtu !== null) {
    const value = optionU32(options, MTU, 0);
    if (value < MIN_MTU || value > 65535)
      return invalidParameter(`overlay driver: ${MTU}=${mtu} is not an MTU between ${MIN_MTU} and 65535`);
  }
  const parent = optionString(options, PARENT);
  if (parent !== null && (parent.length == 0 || parent.length > 15 || parent.includes('/') || parent.includes(' ')))
    return invalidParameter(`overlay driver: ${PARENT}=${parent} is not a valid interface name`);
  return null;
}

/** The underlay MTU the options give (checked by checkNetworkOptions). */
export function underlayMtu(options: Options): u32 {
  return optionU32(options, MTU, DEFAULT_MTU);
}
