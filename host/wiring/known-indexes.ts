// Link indexes the drivers' netlink backend has learned, by namespace and name, so that a
// request can skip a lookup: a bridge's index when a veth is put under it, and a new veth
// peer's index when the controller configures it in the sandbox (each lookup saved is a netlink
// round trip on the join's path). An entry goes when the backend deletes or renames its link;
// one made stale behind the backend's back is found out by the kernel refusing it (see NetlinkBackend).
import type * as Wit from '../generated/wit/network-driver/interfaces/wasmnet-driver-netlink.js';

/** Peers not yet claimed beyond this many are dropped, oldest first (a handed-over join never claims its peer). */
const MAX_PEERS = 64;

export class KnownIndexes {
  readonly #masters = new Map<string, number>();
  readonly #peers = new Map<string, number>();

  master(ns: Wit.Netns, name: string): number | undefined {
    return this.#masters.get(key(ns, name));
  }

  learnMaster(ns: Wit.Netns, name: string, index: number): void {
    this.#masters.set(key(ns, name), index);
  }

  learnPeer(ns: Wit.Netns, name: string, index: number): void {
    this.#peers.set(key(ns, name), index);
    if (this.#peers.size > MAX_PEERS) this.#peers.delete(this.#peers.keys().next().value as string);
  }

  /** The index of a veth peer created in `ns` and not changed since; claimed once. */
  claimPeer(ns: Wit.Netns, name: string): number | undefined {
    const at = key(ns, name);
    const index = this.#peers.get(at);
    this.#peers.delete(at);
    return index;
  }

  /** The link was deleted or renamed. */
  forget(ns: Wit.Netns, name: string): void {
    this.#masters.delete(key(ns, name));
    this.#peers.delete(key(ns, name));
  }

  /** The sandbox namespace was deleted, with its links. */
  forgetSandbox(sandboxKey: string): void {
    const prefix = key({ tag: 'sandbox', val: sandboxKey }, '');
    for (const map of [this.#masters, this.#peers]) {
      for (const at of map.keys()) if (at.startsWith(prefix)) map.delete(at);
    }
  }
}

function key(ns: Wit.Netns, name: string): string {
  return `${ns.tag === 'host' ? '' : ns.val}\n${name}`;
}
