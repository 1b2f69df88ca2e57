// The runtime's link ownership registry, written through to the store on every change: a link
// a driver created stays its own across a restart or a crash (the driver can delete it then).
import { OwnershipRegistry, type NsRef } from '../netlink/index.js';
import type { ControllerStore } from './store.js';

export class PersistentOwnershipRegistry extends OwnershipRegistry {
  readonly #store: ControllerStore;

  constructor(store: ControllerStore) {
    super();
    // Set first: super.recordLink below reaches this class's override.
    this.#store = store;
    for (const link of store.links.all()) super.recordLink(link.driver, nsRef(link.ns), link.name);
  }

  override recordLink(driver: string, ns: NsRef, name: string): void {
    super.recordLink(driver, ns, name);
    this.#store.putLinkSync({ driver, ns: nsKey(ns), name });
  }

  override forgetLink(ns: NsRef, name: string): void {
    super.forgetLink(ns, name);
    this.#store.deleteLinkSync({ ns: nsKey(ns), name });
  }

  override forgetNamespace(ns: NsRef): void {
    const key = nsKey(ns);
    for (const link of this.toJSON().links) if (link.ns === key) this.#store.deleteLinkSync(link);
    super.forgetNamespace(ns);
  }
}

/** host/netlink's spelling of a namespace in its rows: "host" or "sandbox:" + key. */
function nsKey(ns: NsRef): string {
  return ns.tag === 'host' ? 'host' : `sandbox:${ns.val}`;
}

function nsRef(key: string): NsRef {
  return key === 'host' ? { tag: 'host' } : { tag: 'sandbox', val: key.slice('sandbox:'.length) };
}
