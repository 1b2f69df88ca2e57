// The runtime's link ownership registry, written through to the store on every change: a link
// a driver created stays its own across a restart or a crash (the driver can delete it then).
// Each row also names the controller operation that created it (`net:<id>`, `join:<endpoint id>`),
// so links of an operation a crash cut short can be removed even when the driver cannot, and a
// veth's row names its peer: the host end goes with a deleted sandbox. A row keeps the index
// the link got at creation: the link is that index, not whatever bears its name later.
import { OwnershipRegistry, type NsRef } from '../netlink/index.js';
import type { LinkRecord } from '../controller/model.js';
import type { ControllerStore } from './lmdb-store.js';

export class PersistentOwnershipRegistry extends OwnershipRegistry {
  readonly #store: ControllerStore;
  /** "ns\0name" → the index the kernel gave a link being created. */
  readonly #learned = new Map<string, number>();

  constructor(store: ControllerStore) {
    super();
    // Set first: super.recordLink below reaches this class's override.
    this.#store = store;
    for (const link of store.links.all())
      if (link.driver !== '') super.recordLink(link.driver, nsRef(link.ns), link.name);
  }

  /**
   * Written before the kernel is asked to create links (a SIGKILL during the request still
   * leaves them), in one transaction: a row per link without a driver, tagged with the
   * operation, that recordLink then completes or `abandon` removes. `peer`: the other end of a veth.
   */
  intend(
    links: ReadonlyArray<{ ns: NsRef; name: string; peer?: { ns: NsRef; name: string } }>,
    operation: string | undefined,
  ): void {
    this.#store.batch(() => {
      for (const { ns, name, peer } of links) {
        this.#store.links.put({
          driver: '',
          ns: nsKey(ns),
          name,
          ...(operation === undefined ? {} : { operation }),
          ...(peer === undefined ? {} : { peer: { ns: nsKey(peer.ns), name: peer.name } }),
        });
      }
    });
  }

  abandon(ns: NsRef, name: string): void {
    this.#learned.delete(`${nsKey(ns)}\0${name}`);
    if (this.owner(ns, name) === undefined) this.#store.links.delete({ ns: nsKey(ns), name });
  }

  /** Kept until recordLink completes the link's row with it (no write of its own). */
  learnIndex(ns: NsRef, name: string, index: number): void {
    this.#learned.set(`${nsKey(ns)}\0${name}`, index);
  }

  createdIndex(ns: NsRef, name: string): number | undefined {
    return this.#store.links.get({ ns: nsKey(ns), name })?.index;
  }

  /** A renamed link is the same link: it keeps its index. */
  override renameLink(ns: NsRef, from: string, to: string, operation?: string): void {
    const index = this.createdIndex(ns, from);
    if (index !== undefined) this.learnIndex(ns, to, index);
    super.renameLink(ns, from, to, operation);
    this.#learned.delete(`${nsKey(ns)}\0${to}`);
  }

  override recordLink(driver: string, ns: NsRef, name: string, operation?: string): void {
    super.recordLink(driver, ns, name, operation);
    const intent = this.#store.links.get({ ns: nsKey(ns), name });
    const learned = `${nsKey(ns)}\0${name}`;
    const index = this.#learned.get(learned) ?? intent?.index;
    this.#learned.delete(learned);
    this.#store.links.put({
      driver,
      ns: nsKey(ns),
      name,
      ...(operation === undefined ? {} : { operation }),
      ...(intent?.peer === undefined ? {} : { peer: intent.peer }),
      ...(index === undefined ? {} : { index }),
    });
  }

  /** One transaction for a request's links. */
  override recordLinks(driver: string, links: ReadonlyArray<{ ns: NsRef; name: string }>, operation?: string): void {
    this.#store.batch(() => super.recordLinks(driver, links, operation));
  }

  override forgetLink(ns: NsRef, name: string): void {
    super.forgetLink(ns, name);
    this.#store.links.delete({ ns: nsKey(ns), name });
  }

  /**
   * A deleted namespace takes its links with it, and the peers of its veths wherever they are.
   * Only the namespace's own rows are visited (the base class scans every link it knows), and
   * the drivers that made them lose their right to address it.
   */
  override forgetNamespace(ns: NsRef): void {
    const gone: LinkRecord[] = this.#store.links.in(nsKey(ns));
    this.#store.batch(() => {
      for (const link of gone) {
        this.forgetLink(ns, link.name);
        if (link.peer !== undefined) this.forgetLink(nsRef(link.peer.ns), link.peer.name);
      }
    });
    if (ns.tag === 'sandbox') for (const driver of new Set(gone.map((link) => link.driver))) this.leave(driver, ns.val);
  }
}

/** host/netlink's spelling of a namespace in its rows: "host" or "sandbox:" + key. */
function nsKey(ns: NsRef): string {
  return ns.tag === 'host' ? 'host' : `sandbox:${ns.val}`;
}

export function nsRef(key: string): NsRef {
  return key === 'host' ? { tag: 'host' } : { tag: 'sandbox', val: key.slice('sandbox:'.length) };
}
