// VXLAN network identifiers. NetworkAllocate runs once per network in the cluster, on the node
// that creates it; the VNI it picks travels to every node in the network's options. It is taken
// from a hash of the network id (ids are random, so two nodes rarely pick the same), moved on
// past the VNIs this node already handed out, and recorded in the driver's store; a VNI the
// creator names (libnetwork's vxlanid_list option) is taken as it is.
import {
  Options,
  Result,
  Store,
  WitError,
  invalidParameter,
  optionString,
  storeGetString,
  storeSetString,
} from '@wasmnet/sdk';

export const VXLANID_OPTION = 'com.docker.network.driver.overlay.vxlanid_list';
/** libnetwork's range: below 4096 is left to VLAN-mapped VNIs; 24 bits in all. */
const FIRST_VNI: u32 = 4096;
const LAST_VNI: u32 = (1 << 24) - 1;

function allocationKey(vni: u32): string {
  return `vni/${vni.toString()}`;
}
function networkAllocationKey(networkId: string): string {
  return `alloc/${networkId}`;
}

/** The VNI the network's options name, or an error saying why it is not one. */
export function vniOption(value: string): Result<u32, WitError> {
  let vni: u64 = 0;
  let valid = value.length > 0 && value.length <= 8;
  for (let i = 0; valid && i < value.length; i++) {
    const c = value.charCodeAt(i);
    valid = c >= 48 && c <= 57;
    vni = vni * 10 + <u64>(c - 48);
  }
  if (!valid || vni < 1 || vni > <u64>LAST_VNI)
    return Result.err<u32, WitError>(
      invalidParameter(`overlay driver: ${VXLANID_OPTION}=${value} is not one VNI between 1 and ${LAST_VNI}`),
    );
  return Result.ok<u32, WitError>(<u32>vni);
}

/** Picks and records the network's VNI (the same one again for a network already allocated). */
export function allocateVni(networkId: string, options: Options): Result<u32, WitError> {
  const held = storeGetString(networkAllocationKey(networkId));
  if (held !== null) return vniOption(held);
  const named = optionString(options, VXLANID_OPTION);
  let vni: u32 = 0;
  if (named !== null) {
    const parsed = vniOption(named);
    if (!parsed.isOk) return parsed;
    vni = parsed.value;
    const owner = storeGetString(allocationKey(vni));
    if (owner !== null)
      return Result.err<u32, WitError>(invalidParameter(`overlay driver: VNI ${vni} is taken by network ${owner}`));
  } else {
    const span = LAST_VNI - FIRST_VNI + 1;
    let offset = hash(networkId) % span;
    for (let tries: u32 = 0; storeGetString(allocationKey(FIRST_VNI + offset)) !== null; tries++) {
      if (tries == span) return Result.err<u32, WitError>(invalidParameter('overlay driver: no VNI left'));
      offset = (offset + 1) % span;
    }
    vni = FIRST_VNI + offset;
  }
  let error = storeSetString(allocationKey(vni), networkId);
  if (error === null) error = storeSetString(networkAllocationKey(networkId), vni.toString());
  if (error !== null) {
    Store.delete_(allocationKey(vni));
    return Result.err<u32, WitError>(error);
  }
  return Result.ok<u32, WitError>(vni);
}

/** Gives the network's VNI back (nothing to do for a network this node did not allocate). */
export function freeVni(networkId: string): WitError | null {
  const held = storeGetString(networkAllocationKey(networkId));
  if (held === null) return null;
  const vni = vniOption(held);
  if (vni.isOk) Store.delete_(allocationKey(vni.value));
  return Store.delete_(networkAllocationKey(networkId));
}

/** FNV-1a over the network id. */
function hash(text: string): u32 {
  let h: u32 = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= <u32>text.charCodeAt(i);
    h *= 0x01000193;
  }
  return h;
}
