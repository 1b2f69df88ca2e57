// Per-namespace sysctls from an allow-list (wit `sysctl`), written under /proc/sys/net, which
// shows the namespace of the thread that opens the file.
import { readFileSync, writeFileSync } from 'node:fs';
import { excerpt } from '../excerpt.js';
import { InvalidInputError, NetlinkError } from './errors.js';
import type { Netns } from './netns.js';
import type { Sysctl } from './types.js';
import { checkLinkName } from './validate.js';

type Scope = 'ns' | 'link' | 'both';
const SWITCH = ['0', '1'];
// disable_ipv6 namespace-wide is `all` alone: the kernel copies it to `default` and to every link.
// `values`: what the kernel documents for each (ip-sysctl.rst); anything else is refused here,
// as some of these files take any integer.
const TABLE: Record<Sysctl, { scope: Scope; values: string[]; ns?: string[]; link?: string }> = {
  'ip-forward': { scope: 'both', values: SWITCH, ns: ['ipv4/ip_forward'], link: 'ipv4/conf/%/forwarding' },
  'ipv6-forwarding': {
    scope: 'both',
    values: SWITCH,
    ns: ['ipv6/conf/all/forwarding'],
    link: 'ipv6/conf/%/forwarding',
  },
  'disable-ipv6': {
    scope: 'both',
    values: SWITCH,
    ns: ['ipv6/conf/all/disable_ipv6'],
    link: 'ipv6/conf/%/disable_ipv6',
  },
  'proxy-arp': { scope: 'link', values: SWITCH, link: 'ipv4/conf/%/proxy_arp' },
  'accept-ra': { scope: 'link', values: ['0', '1', '2'], link: 'ipv6/conf/%/accept_ra' },
  'arp-ignore': {
    scope: 'both',
    values: ['0', '1', '2', '3', '8'],
    ns: ['ipv4/conf/all/arp_ignore'],
    link: 'ipv4/conf/%/arp_ignore',
  },
  'rp-filter': {
    scope: 'both',
    values: ['0', '1', '2'],
    ns: ['ipv4/conf/all/rp_filter'],
    link: 'ipv4/conf/%/rp_filter',
  },
};

/** The /proc/sys files a sysctl maps to (validated); `sysRoot`: another procfs's sys directory. */
export function sysctlFiles(key: Sysctl, link?: string, sysRoot = '/proc/sys'): string[] {
  const entry = TABLE[key];
  if (entry === undefined) throw new InvalidInputError(`sysctl ${excerpt(key)} is not on the allow-list`);
  if (link === undefined) {
    if (entry.ns === undefined) throw new InvalidInputError(`sysctl ${key} needs a link`);
    return entry.ns.map((file) => `${sysRoot}/net/${file}`);
  }
  if (entry.link === undefined) throw new InvalidInputError(`sysctl ${key} is namespace-wide`);
  return [`${sysRoot}/net/${entry.link.replace('%', checkLinkName(link))}`];
}

function wrap(error: unknown, what: string, netns: Netns, link: string | undefined): never {
  if (error instanceof Error && 'errno' in error && typeof error.errno === 'number') {
    // A missing per-link file means the link does not exist.
    const errno = -error.errno === 2 && link !== undefined ? 19 : -error.errno;
    throw new NetlinkError(errno, what, netns.label);
  }
  throw error;
}

export function sysctlSet(netns: Netns, key: Sysctl, link: string | undefined, value: string): void {
  const files = sysctlFiles(key, link);
  const { values } = TABLE[key];
  if (!values.includes(value))
    throw new InvalidInputError(`sysctl ${key} takes ${values.join(', ')}, not ${excerpt(value)}`);
  netns.run(() => {
    for (const file of files) {
      try {
        writeFileSync(file, value);
      } catch (error) {
        wrap(error, `set sysctl ${file}=${value}`, netns, link);
      }
    }
  });
}

export function sysctlGet(netns: Netns, key: Sysctl, link?: string): string {
  const file = sysctlFiles(key, link)[0] as string;
  return netns.run(() => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (error) {
      wrap(error, `read sysctl ${file}`, netns, link);
    }
  });
}
