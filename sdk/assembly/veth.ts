// The container end of an endpoint: a veth pair whose host end is enslaved to a bridge and whose
// peer is created directly inside the sandbox (a link move is serialised in the kernel: never
// move, create in place). Shared by the drivers that plumb a bridge per network.
import { Box, Result } from './wit-rt';
import { LinkKind, LinkSpec, Netlink, Netns, Options, VethPeer, WitError, WitErrorTag } from './generated/bindings';
import { errorMessage } from './errors';
import { INTERFACE_NAME } from './labels';
import { optionString } from './net';

/** A deleted sandbox's veths linger until the kernel has freed its namespace: try other names. */
const VETH_NAME_ATTEMPTS = 10;

/**
 * Host-side veth name: unique per endpoint and join attempt, at most 15 bytes. The last
 * character changes when the name is still taken.
 */
export function hostVethName(endpointId: string, attempt: i32): string {
  return `veth${endpointId.substring(0, 10)}${attempt.toString()}`;
}

/**
 * The container end's name: the one the host offers (its final name in the sandbox, so the host
 * need not rename it), else a temporary one the host renames (eth0, ...).
 */
export function sandboxVethName(endpointId: string, joinOptions: Options): string {
  const offered = optionString(joinOptions, INTERFACE_NAME);
  return offered !== null ? offered : `wn${endpointId.substring(0, 13)}`;
}

/** The kernel's "no such device", whichever way the host reports it. */
export function isNotFound(error: WitError): bool {
  return error.tag == WitErrorTag.NotFound || errorMessage(error).includes('ENODEV');
}

/**
 * Creates the endpoint's veth pair: the host end (`hostVethName`) up and enslaved to `bridge`,
 * the peer (`sandboxVethName`) inside the sandbox with `mac`, both with `mtu` when given (the
 * host sets the peer's in the same request).
 * Returns the host end's name.
 */
export function addSandboxVeth(
  endpointId: string,
  sandboxKey: string,
  joinOptions: Options,
  mac: string | null,
  mtu: Box<u32> | null,
  bridge: string,
): Result<string, WitError> {
  const sandbox = Netns.sandbox(sandboxKey);
  const peer = new VethPeer(sandboxVethName(endpointId, joinOptions), sandbox, mac);
  let attempt = 0;
  let added = Netlink.linkAdd(
    Netns.host(),
    new LinkSpec(hostVethName(endpointId, attempt), LinkKind.veth(peer), mtu, null, bridge, true),
  );
  while (!added.isOk && errorMessage(added.error!).includes('EEXIST') && attempt + 1 < VETH_NAME_ATTEMPTS) {
    attempt++;
    added = Netlink.linkAdd(
      Netns.host(),
      new LinkSpec(hostVethName(endpointId, attempt), LinkKind.veth(peer), mtu, null, bridge, true),
    );
  }
  if (!added.isOk) return Result.err<string, WitError>(added.error!);
  return Result.ok<string, WitError>(hostVethName(endpointId, attempt));
}
