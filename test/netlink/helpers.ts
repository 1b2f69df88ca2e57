// Hermetic fixtures: a private "host" namespace per test, under a private directory, removed
// with everything in it even when the test fails. Nothing touches the machine's namespace.
import { execFileSync } from 'node:child_process';
import { type Netns, Rtnl } from '../../host/netlink/index.js';
import { createPrivateHost, ipJson, removeWithNamespaces, uniqueId } from '../support/netns.js';

export { ipJson };

export interface TestHost {
  dir: string;
  host: Netns;
  rtnl: Rtnl;
  /** A unique name with this test's prefix. */
  name(suffix: string): string;
  cleanup(): void;
}

export function makeHost(): TestHost {
  const id = uniqueId();
  const prefix = `wnt-${id}`;
  const dir = `/run/wasmnet-test-${id}`;
  const host = createPrivateHost(dir, `${prefix}-host`);
  return {
    dir,
    host,
    rtnl: new Rtnl(host),
    name: (suffix) => `${prefix}-${suffix}`,
    cleanup: () => removeWithNamespaces(dir, [dir]),
  };
}

export function nsExec(path: string, command: string, ...args: string[]): string {
  return execFileSync('nsenter', [`--net=${path}`, command, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * What iproute2 sees in a namespace, in terms that do not change by themselves (operstate,
 * carrier and address flags do, a moment after a link goes up): link names, addresses, routes.
 */
export function ipState(path: string): string {
  const links = ipJson<{ ifname: string }[]>(path, 'link', 'show').map((link) => link.ifname);
  const addresses = ipJson<{ ifname: string; addr_info: { local: string; prefixlen: number }[] }[]>(
    path,
    'addr',
    'show',
  ).flatMap((link) => link.addr_info.map((a) => `${link.ifname} ${a.local}/${a.prefixlen}`));
  const routes = ipJson<{ dst: string; gateway?: string; dev: string }[]>(path, 'route', 'show').map(
    (route) => `${route.dst} ${route.gateway ?? ''} ${route.dev}`,
  );
  return JSON.stringify({ links, addresses, routes });
}
