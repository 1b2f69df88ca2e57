// Start-up: restore networks, endpoints and sandboxes from the store, replay IPAM, re-subscribe
// tables and re-publish table entries, then sweep what a crash left behind (libnetwork's
// stale-endpoint cleanup): operations caught half way, joins to sandboxes that are gone,
// namespaces and files no sandbox claims, link ownership rows of vanished namespaces.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { linkOperation } from '../drivers/index.js';
import type { Context } from './context.js';
import { isGlobal } from './driver-api.js';
import { Endpoint, releaseAddresses } from './endpoint.js';
import { HostNamespace } from './host-sandbox.js';
import { tolerate } from './ipam-alloc.js';
import { replayAddresses, replayPools } from './ipam-replay.js';
import type { EndpointRecord, SandboxRecord } from './model.js';
import { Network } from './network.js';
import type { SandboxNamespace } from './plumbing.js';
import { filesDir, Sandbox } from './sandbox.js';
import { SandboxFiles, sandboxIdOf } from './sandbox-files.js';

/** What the start-up sweep removed (ids, or names for namespaces and links). */
export interface RecoveryReport {
  networks: string[];
  endpoints: string[];
  joins: string[];
  sandboxes: string[];
  namespaces: string[];
  links: string[];
  /** Endpoints left because their sandbox's namespace was gone: the engine removed the container. */
  orphans: string[];
}

export function emptyRecoveryReport(): RecoveryReport {
  return { networks: [], endpoints: [], joins: [], sandboxes: [], namespaces: [], links: [], orphans: [] };
}

export async function restore(ctx: Context): Promise<RecoveryReport> {
  const report = emptyRecoveryReport();
  restoreSandboxes(ctx, report);
  const poolIds = await restoreNetworks(ctx, report);
  await restoreEndpoints(ctx, report, poolIds);
  await sweepOrphanedLinks(ctx, report);
  reconcileSandboxEndpoints(ctx);
  await removeUnclaimedNamespaces(ctx, report);
  removeUnclaimedFiles(ctx);
  forgetLinksOfVanishedNamespaces(ctx, report);
  startResolvers(ctx);
  return report;
}

/** The embedded DNS serves again the sandboxes it served (the last run's sockets died with it). */
function startResolvers(ctx: Context): void {
  for (const sandbox of ctx.sandboxes.values()) {
    try {
      sandbox.startResolver();
    } catch (error) {
      ctx.warn(
        `embedded DNS of sandbox ${sandbox.containerId()}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

const quiet = (): void => undefined;

/** Re-attaches each sandbox to its namespace; one whose namespace is gone, or whose delete a crash cut short, goes. */
function restoreSandboxes(ctx: Context, report: RecoveryReport): void {
  for (const record of ctx.store.sandboxes.all()) {
    // The host's namespace is whatever this run's hostNetns says (it may differ from the last run's).
    if (record.config.useDefaultSandbox === true) record.key = ctx.plumbing.hostKey();
    const namespace = sandboxNamespace(ctx, record);
    if (namespace === undefined) {
      report.sandboxes.push(record.id);
      new SandboxFiles(filesDir(ctx), record.id).remove();
      ctx.store.sandboxes.delete(record.id);
      continue;
    }
    ctx.sandboxes.set(record.id, new Sandbox(ctx, record, namespace));
  }
}

function sandboxNamespace(ctx: Context, record: SandboxRecord): SandboxNamespace | undefined {
  const options = { ipv6: record.config.ipv6 === true };
  // A delete a crash cut short is finished: its endpoints may have left already, so its
  // namespace, with their interfaces, must go too (as an unclaimed one).
  if (record.state === 'deleting') return undefined;
  if (record.config.useDefaultSandbox === true) return new HostNamespace(record.key);
  if (record.external === true)
    return ctx.plumbing.mounted(record.key) ? ctx.plumbing.attach(record.key, options) : undefined;
  return ctx.plumbing.open(record.nsName, options);
}

/**
 * Ready networks come back with their pools replayed to IPAM and their tables subscribed; a
 * half-created one is deleted. Returns the pool ids IPAM changed (old id → new id).
 */
async function restoreNetworks(ctx: Context, report: RecoveryReport): Promise<Map<string, string>> {
  const poolIds = new Map<string, string>();
  for (const record of ctx.store.networks.all()) {
    if (record.state !== 'ready') {
      report.networks.push(record.id);
      const entry = ctx.drivers.driver(record.type);
      if (entry !== undefined) {
        await tolerate(() => entry.driver.deleteNetwork(record.id), 'delete half-created network', quiet);
        // Created or deleted half way here: what its NetworkAllocate may have taken goes back.
        if (isGlobal(entry.capability))
          await tolerate(() => entry.driver.networkFree(record.id), 'free half-created network', quiet);
      }
      await sweepLinks(ctx, linkOperation.network(record.id), report);
      ctx.store.networks.delete(record.id);
      continue;
    }
    const ipam = ctx.ipams.ipam(record.ipamDriver);
    const pools = JSON.stringify([record.ipv4, record.ipv6]);
    if (ipam !== undefined) await replayPools(ipam, record, poolIds, ctx.warn);
    if (JSON.stringify([record.ipv4, record.ipv6]) !== pools) ctx.store.networks.put(record.id, record);
    const network = new Network(ctx, record);
    ctx.networks.set(record.id, network);
    await network.subscribeTables();
  }
  return poolIds;
}

/** Ready endpoints come back with their addresses replayed and their joins settled; the others are deleted. */
async function restoreEndpoints(ctx: Context, report: RecoveryReport, poolIds: Map<string, string>): Promise<void> {
  for (const record of ctx.store.endpoints.all()) {
    const network = ctx.networks.get(record.networkId);
    if (network === undefined || record.state !== 'ready') {
      report.endpoints.push(record.id);
      if (network !== undefined) await deleteHalfCreatedEndpoint(ctx, network, record);
      ctx.store.endpoints.delete(record.id);
      continue;
    }
    const before = { poolV4: record.poolV4, poolV6: record.poolV6, join: record.join };
    if (record.poolV4 !== undefined) record.poolV4 = poolIds.get(record.poolV4) ?? record.poolV4;
    if (record.poolV6 !== undefined) record.poolV6 = poolIds.get(record.poolV6) ?? record.poolV6;
    const ipam = ctx.ipams.ipam(network.record.ipamDriver);
    if (ipam !== undefined) await replayAddresses(ipam, record, ctx.warn);
    network.adopt(new Endpoint(ctx, network, record));
    await restoreJoin(ctx, report, network, record);
    // Restore reads: a record is written only when it changed (a pool renamed, a join undone).
    if (record.poolV4 !== before.poolV4 || record.poolV6 !== before.poolV6 || record.join !== before.join)
      ctx.store.endpoints.put(record.id, record);
  }
}

async function deleteHalfCreatedEndpoint(ctx: Context, network: Network, record: EndpointRecord): Promise<void> {
  const entry = ctx.drivers.driver(network.type());
  if (entry !== undefined)
    await tolerate(() => entry.driver.deleteEndpoint(network.id(), record.id), 'delete half-created endpoint', quiet);
  await releaseAddresses(ctx, network, record, quiet);
}

/** A settled join re-publishes its table entries; one to a gone sandbox, or half made, is undone. */
async function restoreJoin(
  ctx: Context,
  report: RecoveryReport,
  network: Network,
  record: EndpointRecord,
): Promise<void> {
  const joined = record.join;
  if (joined === undefined) return;
  const sandbox = ctx.sandboxes.get(joined.sandboxId);
  if (sandbox !== undefined && joined.state === 'ready') {
    for (const entry of joined.effects.tableEntries) {
      await tolerate(
        () => ctx.tables.put(ctx.hostId, network.id(), entry.tableName, entry.key, entry.value),
        `re-publish ${entry.tableName}/${entry.key}`,
        ctx.warn,
      );
    }
    return;
  }
  report.joins.push(record.id);
  if (sandbox === undefined) report.orphans.push(record.id);
  if (sandbox !== undefined && joined.dstName !== '')
    await tolerate(() => sandbox.namespace.removeInterface(joined.dstName), 'remove a half-joined interface', quiet);
  const entry = ctx.drivers.driver(network.type());
  if (entry !== undefined)
    await tolerate(() => entry.driver.leave(network.id(), record.id), 'leave a stale join', quiet);
  await sweepLinks(ctx, linkOperation.join(record.id), report);
  delete record.join;
}

/**
 * Links whose operation's object is gone, or no longer joined, are owned by nobody (a crash
 * between a leave and its sweep, say): the host deletes them.
 */
async function sweepOrphanedLinks(ctx: Context, report: RecoveryReport): Promise<void> {
  const operations = new Set(
    ctx.store.links.all().flatMap((link) => (link.operation === undefined ? [] : [link.operation])),
  );
  for (const operation of operations) {
    const of = linkOperation.parse(operation);
    const live =
      of === undefined ||
      ('network' in of
        ? ctx.networks.has(of.network)
        : 'endpoint' in of
          ? ctx.endpoint(of.endpoint) !== undefined
          : ctx.endpoint(of.join)?.record.join !== undefined);
    if (!live) await sweepLinks(ctx, operation, report);
  }
}

/** A sandbox lists exactly the endpoints joined to it (a crash can split the two writes). */
function reconcileSandboxEndpoints(ctx: Context): void {
  // The joins by sandbox, in one pass over the endpoints (not one per sandbox: at 5 000 of each,
  // that pass alone took seconds of a restart).
  const joinedTo = new Map<string, string[]>();
  for (const network of ctx.networks.values())
    for (const endpoint of network.endpoints()) {
      const sandboxId = endpoint.record.join?.sandboxId;
      if (sandboxId !== undefined) joinedTo.set(sandboxId, [...(joinedTo.get(sandboxId) ?? []), endpoint.id()]);
    }
  // Every hosts file is rewritten (a crash may have cut a write short); only the records whose
  // joins changed are, in one transaction.
  ctx.store.batch(() => {
    for (const sandbox of ctx.sandboxes.values()) {
      const joined = joinedTo.get(sandbox.id()) ?? [];
      const before = sandbox.record.endpoints;
      const after = [...before.filter((id) => joined.includes(id)), ...joined.filter((id) => !before.includes(id))];
      sandbox.record.endpoints = after;
      sandbox.refreshHosts();
      if (after.length !== before.length || after.some((id, i) => id !== before[i]))
        ctx.store.sandboxes.put(sandbox.id(), sandbox.record);
    }
  });
}

async function removeUnclaimedNamespaces(ctx: Context, report: RecoveryReport): Promise<void> {
  const claimed = new Set([...ctx.sandboxes.values()].map((sandbox) => sandbox.record.nsName));
  for (const name of ctx.plumbing.list()) {
    if (claimed.has(name)) continue;
    report.namespaces.push(name);
    await tolerate(() => ctx.plumbing.remove(name), `delete unclaimed namespace ${name}`, ctx.warn);
  }
}

/** The hosts and resolv.conf files of sandboxes that are gone. */
function removeUnclaimedFiles(ctx: Context): void {
  const files = filesDir(ctx);
  if (!existsSync(files)) return;
  for (const name of readdirSync(files))
    if (!ctx.sandboxes.has(sandboxIdOf(name))) rmSync(join(files, name), { recursive: true, force: true });
}

/**
 * Ownership rows of links in namespaces that are gone. The host's own namespace, addressed by
 * key, holds the links of hand-over joins until the engine takes them.
 */
function forgetLinksOfVanishedNamespaces(ctx: Context, report: RecoveryReport): void {
  const liveNamespaces = new Set(
    [...ctx.sandboxes.values()]
      .map((sandbox) => `sandbox:${sandbox.key()}`)
      .concat(`sandbox:${ctx.plumbing.hostKey()}`),
  );
  for (const link of ctx.store.links.all()) {
    if (link.ns === 'host' || liveNamespaces.has(link.ns)) continue;
    report.links.push(`${link.ns}:${link.name}`);
    if (ctx.links === undefined) ctx.store.links.delete(link);
    else ctx.links.forgetSandbox(link.ns.slice('sandbox:'.length));
  }
}

/** Links an interrupted operation created that its driver did not remove. */
async function sweepLinks(ctx: Context, operation: string, report: RecoveryReport): Promise<void> {
  if (ctx.links === undefined) return;
  try {
    report.links.push(...(await ctx.links.sweep(operation)));
  } catch (error) {
    ctx.warn(`sweep links of ${operation}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
