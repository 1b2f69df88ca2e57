// An underlay for multi-host tests: a namespace of the test's own holding a bridge, and in each
// "host" namespace a link `ul0` on it with the address 192.168.<subnet>.<n+1>/24. Traffic stays
// between the test's namespaces; deleting the namespaces removes it all.
import { createNetns, type Netns, Rtnl } from '../../host/netlink/index.js';

/** The underlay link's name in every host namespace. */
export const UNDERLAY_LINK = 'ul0';

export interface Underlay {
  namespace: Netns;
  /** The underlay address of each host, in the order given. */
  addresses: string[];
}

/** Creates the underlay namespace `name` in `dir` and plugs `hosts` into it. */
export function createUnderlay(dir: string, name: string, hosts: readonly Netns[], subnet = 99): Underlay {
  const namespace = createNetns(dir, name);
  const switchboard = new Rtnl(namespace);
  switchboard.linkAdd({ name: 'br0', kind: { tag: 'bridge' }, up: true });
  const addresses = hosts.map((host, n) => {
    const address = `192.168.${subnet}.${n + 1}`;
    const rtnl = new Rtnl(host);
    rtnl.linkAdd({ name: UNDERLAY_LINK, kind: { tag: 'veth', val: { name: `h${n}`, netns: namespace } }, up: true });
    switchboard.linkSet(`h${n}`, { up: true, master: { tag: 'set', val: 'br0' } });
    rtnl.addrAdd({ link: UNDERLAY_LINK, cidr: `${address}/24`, nodad: true });
    return address;
  });
  return { namespace, addresses };
}
