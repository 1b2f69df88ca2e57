// A sandbox's /etc/hosts and resolv.conf, as libnetwork builds them (etchosts, resolvconf):
// the default hosts lines, then one line per address of each joined endpoint; the host's
// nameservers without loopback ones (the sandbox has its own loopback), Google's when none is left.
import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { SandboxOptions } from './model.js';

const DEFAULT_HOSTS = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

const DEFAULT_V4_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];
const DEFAULT_V6_NAMESERVERS = ['2001:4860:4860::8888', '2001:4860:4860::8844'];
/** systemd-resolved's stub; the real upstreams are in its other file. */
const RESOLVED_STUB = '127.0.0.53';
const RESOLVED_UPSTREAM = '/run/systemd/resolve/resolv.conf';

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const [word, ...rest] = raw
      .replace(/[#;].*$/, '')
      .trim()
      .split(/\s+/);
    if (word === 'nameserver' && rest[0] !== undefined) conf.nameservers.push(rest[0].replace(/%.*$/, ''));
    else if (word === 'search' || word === 'domain') conf.search = rest;
    else if (word === 'options') conf.options.push(...rest);
  }
  return conf;
}

export function isLoopback(ip: string): boolean {
  return isIP(ip) === 4 ? ip.startsWith('127.') : ip === '::1' || /^(0{0,4}:){7}0{0,3}1$/.test(ip);
}

/** The host's resolv.conf (systemd-resolved's upstream file when the stub is all there is). */
export function readHostResolvConf(path: string): ResolvConf {
  const read = (file: string): ResolvConf => {
    try {
      return parseResolvConf(readFileSync(file, 'utf8'));
    } catch {
      return { nameservers: [], search: [], options: [] };
    }
  };
  const conf = read(path);
  const onlyStub = conf.nameservers.length > 0 && conf.nameservers.every((ns) => ns === RESOLVED_STUB);
  return onlyStub ? { ...read(RESOLVED_UPSTREAM), search: conf.search, options: conf.options } : conf;
}

export function buildResolvConf(host: ResolvConf, config: SandboxOptions): string {
  let nameservers = (config.dns ?? host.nameservers).filter((ns) => !isLoopback(ns));
  if (config.ipv6 !== true) nameservers = nameservers.filter((ns) => isIP(ns) !== 6);
  if (nameservers.length === 0)
    nameservers =
      config.ipv6 === true ? [...DEFAULT_V4_NAMESERVERS, ...DEFAULT_V6_NAMESERVERS] : DEFAULT_V4_NAMESERVERS;
  const search = config.dnsSearch ?? host.search;
  const options = config.dnsOptions ?? host.options;
  const lines = nameservers.map((ns) => `nameserver ${ns}`);
  if (search.length > 0) lines.push(`search ${search.join(' ')}`);
  if (options.length > 0) lines.push(`options ${options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/**
 * The resolv.conf of a sandbox the embedded DNS serves, as Docker writes it: only its resolver,
 * the search domains and options the sandbox would have had, and `ndots:0` unless an ndots is
 * set (a container's name then goes to the resolver as it is, before any search domain).
 */
export function buildEmbeddedResolvConf(host: ResolvConf, config: SandboxOptions, resolver: string): string {
  const search = config.dnsSearch ?? host.search;
  const options = [...(config.dnsOptions ?? host.options)];
  if (!options.some((option) => option.startsWith('ndots:'))) options.push('ndots:0');
  const lines = [`nameserver ${resolver}`];
  if (search.length > 0) lines.push(`search ${search.join(' ')}`);
  lines.push(`options ${options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/** Docker's resolver asks at most this many upstreams. */
const MAX_UPSTREAMS = 3;

/**
 * Where the embedded DNS forwards the names it does not know: the nameservers the sandbox would
 * otherwise have had, loopback ones included (forwards leave from the host's namespace, where
 * they answer), Google's when there are none.
 */
export function upstreamResolvers(host: ResolvConf, config: SandboxOptions): string[] {
  const nameservers = config.dns ?? host.nameservers;
  return (nameservers.length > 0 ? nameservers : DEFAULT_V4_NAMESERVERS).slice(0, MAX_UPSTREAMS);
}

/** `addresses`: the IPs (no mask) of the joined endpoints, in join order. */
export function buildHosts(config: SandboxOptions, addresses: string[]): string {
  const lines = [...DEFAULT_HOSTS];
  for (const extra of config.extraHosts ?? []) lines.push(`${extra.ip}\t${extra.name}`);
  const hostname = config.hostname ?? '';
  if (hostname !== '') {
    const names = config.domainname ? `${hostname}.${config.domainname} ${hostname}` : hostname;
    for (const ip of addresses) lines.push(`${ip}\t${names}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * One sandbox's files, `<id>.hosts` and `<id>.resolv.conf` in the data directory's `sandboxes`
 * directory (no directory per sandbox: one system call less to make and to remove). They are
 * rewritten in place, as libnetwork does: a container bind-mounts them, so the inode must stay
 * the same (a rename would swap it). The work is synchronous: a file this small costs a few
 * system calls, while each of libuv's thread-pool hops wakes a sleeping thread.
 */
export class SandboxFiles {
  constructor(
    readonly dir: string,
    readonly id: string,
  ) {}

  get hostsPath(): string {
    return join(this.dir, `${this.id}.hosts`);
  }

  get resolvConfPath(): string {
    return join(this.dir, `${this.id}.resolv.conf`);
  }

  /** Creates both files (and the directory, for the first sandbox of the data directory). */
  create(hosts: string, resolvConf: string): void {
    this.#writeNew(this.hostsPath, hosts);
    try {
      writeFileSync(this.resolvConfPath, resolvConf);
    } catch (error) {
      rmSync(this.hostsPath, { force: true });
      throw error;
    }
  }

  /**
   * Rewrites the hosts file in place, never truncated to nothing first (as writeFileSync does).
   * ext4 allocates the block of a file rewritten after a truncation to zero when it is closed
   * (auto_da_alloc), and freeing that block again (the next truncation, the unlink at sandbox
   * delete) waits for the disk's discard on a file system mounted with `discard`. A reader sees the old or the new lines, never an empty file.
   */
  writeHosts(hosts: string): void {
    const bytes = Buffer.from(hosts);
    let fd: number;
    try {
      fd = openSync(this.hostsPath, 'r+');
    } catch (error) {
      // Gone (a crash before the sandbox's files were made, or someone removed it): make it anew.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      this.#writeNew(this.hostsPath, bytes);
      return;
    }
    try {
      writeSync(fd, bytes, 0, bytes.length, 0);
      ftruncateSync(fd, bytes.length);
    } finally {
      closeSync(fd);
    }
  }

  remove(): void {
    rmSync(this.hostsPath, { force: true });
    rmSync(this.resolvConfPath, { force: true });
  }

  /** Writes a file, making the directory first when it is missing (the data directory's first sandbox). */
  #writeNew(path: string, content: string | Uint8Array): void {
    try {
      writeFileSync(path, content);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(path, content);
    }
  }
}

/** The sandbox id a file in the `sandboxes` directory belongs to. */
export function sandboxIdOf(fileName: string): string {
  const dot = fileName.indexOf('.');
  return dot < 0 ? fileName : fileName.slice(0, dot);
}
