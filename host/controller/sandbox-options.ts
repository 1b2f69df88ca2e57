// The text a sandbox's options put in its /etc/hosts and resolv.conf, checked before a line is
// written: a newline or a space in a name would add lines or entries of the caller's choosing.
import { isIP } from 'node:net';
import { InvalidParameterError } from './errors.js';
import type { SandboxOptions } from './model.js';

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';

/** RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens, ≤ 253 characters. */
export const HOSTNAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`);

/**
 * A search domain: a host name, optionally fully qualified (a trailing dot), or "." (no search
 * domain), as Docker's opts.ValidateDNSSearch accepts.
 */
export const SEARCH_DOMAIN = new RegExp(`^(?:\\.|(?=.{1,254}$)${LABEL}(?:\\.${LABEL})*\\.?)$`);

/** A resolv.conf option (`ndots:2`, `edns0`): printable, no space, ≤ 255 characters. */
export const DNS_OPTION = /^[\x21-\x7e]{1,255}$/;

export const MAX_DNS_ENTRIES = 16;
export const MAX_EXTRA_HOSTS = 256;

export const isIpAddress = (value: string): boolean => isIP(value) !== 0;

/** Refuses (InvalidParameterError) options that do not fit the files they are written to. */
export function checkSandboxOptions(config: SandboxOptions): void {
  const check = (ok: boolean, what: string, value: unknown): void => {
    if (!ok) throw new InvalidParameterError(`invalid ${what} ${String(JSON.stringify(value)).slice(0, 80)}`);
  };
  const typed = (value: unknown): value is string => typeof value === 'string';
  if (config.hostname !== undefined && config.hostname !== '')
    check(typed(config.hostname) && HOSTNAME.test(config.hostname), 'hostname', config.hostname);
  if (config.domainname !== undefined && config.domainname !== '')
    check(typed(config.domainname) && HOSTNAME.test(config.domainname), 'domain name', config.domainname);
  check((config.extraHosts?.length ?? 0) <= MAX_EXTRA_HOSTS, 'number of extra hosts', config.extraHosts?.length);
  for (const extra of config.extraHosts ?? []) {
    check(typed(extra.name) && HOSTNAME.test(extra.name), 'extra host name', extra.name);
    check(typed(extra.ip) && isIpAddress(extra.ip), `IP address of extra host ${extra.name}`, extra.ip);
  }
  const lists: Array<[string, string[] | undefined, (value: string) => boolean]> = [
    ['nameserver', config.dns, isIpAddress],
    ['DNS search domain', config.dnsSearch, (value) => SEARCH_DOMAIN.test(value)],
    ['DNS option', config.dnsOptions, (value) => DNS_OPTION.test(value)],
  ];
  for (const [what, values, valid] of lists) {
    check((values?.length ?? 0) <= MAX_DNS_ENTRIES, `number of ${what}s`, values?.length);
    for (const value of values ?? []) check(typed(value) && valid(value), what, value);
  }
}
