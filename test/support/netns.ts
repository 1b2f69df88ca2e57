// Private namespaces for tests that need root: a directory of the test's own under /run, a
// namespace in it that stands for the machine's ("host", IPv6 off), and a cleanup that deletes
// every namespace the test bound there, by its exact path, and then the directory. Nothing
// touches the machine's own namespace.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createNetns, deleteNetns, type Netns, sysctlSet } from '../../host/netlink/index.js';

let counter = 0;

/** `PID-N`, unique to this call among all test processes (N counts this process's calls): for names and paths. */
export function uniqueId(): string {
  return `${process.pid}-${counter++}`;
}

/** A namespace `name` bound under `dir` to stand for the machine's, with IPv6 off (no autoconfiguration). */
export function createPrivateHost(dir: string, name: string): Netns {
  return createNetns(dir, name, (ns) => sysctlSet(ns, 'disable-ipv6', undefined, '1'));
}

/** Deletes every namespace bound in `dir`, each by its exact path; a file no longer bound is removed. */
export function deleteNamespacesIn(dir: string): void {
  if (!existsSync(dir)) return;
  for (const file of readdirSync(dir)) {
    try {
      deleteNetns(join(dir, file));
    } catch {
      rmSync(join(dir, file), { force: true });
    }
  }
}

/** Deletes the namespaces in each of `namespaceDirs`, then `dir` with everything in it. */
export function removeWithNamespaces(dir: string, namespaceDirs: readonly string[]): void {
  for (const namespaceDir of namespaceDirs) deleteNamespacesIn(namespaceDir);
  // What a daemon the test started bound in its own data directory, when the test failed before
  // that daemon could remove it: every namespace still mounted under `dir`, by its exact path.
  for (const path of namespacesMountedUnder(dir)) deleteNetns(path);
  rmSync(dir, { recursive: true, force: true });
}

/** The nsfs mount points below `dir`, from this process's mount table. */
function namespacesMountedUnder(dir: string): string[] {
  return readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .filter(([, mountPoint, type]) => type === 'nsfs' && mountPoint?.startsWith(`${dir}/`))
    .map(([, mountPoint]) => mountPoint as string);
}

/** `ip -j ARGS` run inside the namespace at `path` (checked independently of wasmnet's netlink code). */
export function ipJson<T = unknown>(path: string, ...args: string[]): T {
  return JSON.parse(execFileSync('nsenter', [`--net=${path}`, 'ip', '-j', ...args], { encoding: 'utf8' }) || '[]') as T;
}
