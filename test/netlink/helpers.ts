// Hermetic fixtures: a private "host" namespace per test, under a private directory, removed
// with everything in it even when the test fails. Nothing touches the machine's namespace.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createNetns, deleteNetns, type Netns, Rtnl, sysctlSet } from '../../host/netlink/index.js';

let counter = 0;

export interface TestHost {
  dir: string;
  host: Netns;
  rtnl: Rtnl;
  /** A unique name with this test's prefix. */
  name(suffix: string): string;
  cleanup(): void;
}

export function makeHost(): TestHost {
  const n = counter++;
  const prefix = `wnt-${process.pid}-${n}`;
  const dir = `/run/wasmnet-test-${process.pid}-${n}`;
  const host = createNetns(dir, `${prefix}-host`, (ns) => sysctlSet(ns, 'disable-ipv6', undefined, '1'));
  return {
    dir,
    host,
    rtnl: new Rtnl(host),
    name: (suffix) => `${prefix}-${suffix}`,
    cleanup: () => {
      if (!existsSync(dir)) return;
      for (const file of readdirSync(dir)) {
        try {
          deleteNetns(join(dir, file));
        } catch {
          rmSync(join(dir, file), { force: true });
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `ip -j ARGS` run inside the namespace at `path` (independent verification). */
export function ipJson<T = unknown>(path: string, ...args: string[]): T {
  return JSON.parse(execFileSync('nsenter', [`--net=${path}`, 'ip', '-j', ...args], { encoding: 'utf8' }) || '[]') as T;
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
