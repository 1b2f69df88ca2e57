// Join and Leave (libnetwork's sbJoin/sbLeave): the driver's Join, the interface in the
// sandbox, the join's table entries, the gateway endpoint's default route and external
// connectivity, and the hosts file. A failed join undoes all of it.
import { linkOperation } from '../drivers/index.js';
import { withUndo, type Context } from './context.js';
import { programsExternalConnectivity, programsWith, type JoinEffects } from './driver-api.js';
import type { Endpoint } from './endpoint.js';
import { asNetworkError, EndpointInUseError, ForbiddenError, NotJoinedError } from './errors.js';
import { tolerate } from './ipam-alloc.js';
import type { JoinOptions, JoinRecord } from './model.js';
import type { DefaultGateway } from './plumbing.js';
import { joinDriverOptions } from './ports.js';
import type { Sandbox } from './sandbox.js';

/** libnetwork's host network type: its endpoints share the host's namespace. */
const HOST_NETWORK = 'host';

/**
 * Join option (moby's netlabel.Ifname) offering the driver the name its interface will have in
 * the sandbox: the name the join asked for, else the lowest free `eth<n>`. A driver that creates
 * its sandbox end inside the sandbox under that name, and reports it as its source name, is
 * spared the rename; the kernel waits for an RCU grace period in every link rename.
 */
export const INTERFACE_NAME_OPTION = 'com.docker.network.endpoint.ifname';
const DEFAULT_DST_PREFIX = 'eth';

export async function joinSandbox(
  ctx: Context,
  endpoint: Endpoint,
  sandbox: Sandbox,
  options: JoinOptions,
): Promise<void> {
  const joined = endpoint.record.join;
  if (joined !== undefined) {
    if (joined.sandboxId === sandbox.id())
      throw new ForbiddenError(
        `endpoint ${endpoint.name()} is already joined to sandbox ${sandbox.containerId()}`,
        'already-joined',
      );
    throw new EndpointInUseError(endpoint.name(), joined.sandboxId);
  }
  const network = endpoint.network;
  if ((network.type() === HOST_NETWORK) !== sandbox.usesHostNamespace()) {
    throw new ForbiddenError(
      sandbox.usesHostNamespace()
        ? `sandbox ${sandbox.containerId()} uses the host's namespace: only endpoints of a host network can join it, not ${endpoint.name()} of ${network.name()}`
        : `endpoint ${endpoint.name()} of host network ${network.name()} can join only a sandbox created with useDefaultSandbox, not ${sandbox.containerId()}`,
      'host-network',
    );
  }
  if (sandbox.endpoints().some((other) => other.network === network)) {
    throw new ForbiddenError(
      `container ${sandbox.containerId()} is already connected to network ${network.name()}`,
      'already-connected',
    );
  }
  if (
    options.interfaceName !== undefined &&
    sandbox.endpoints().some((other) => other.record.join?.dstName === options.interfaceName)
  ) {
    throw new ForbiddenError(
      `sandbox ${sandbox.containerId()} already has an interface ${options.interfaceName}`,
      'interface-exists',
    );
  }
  // In a namespace wasmnet did not make, the name may be taken by a link of someone else's: a
  // failed rename would come only after the driver's Join.
  if (options.handOver !== true && !sandbox.ownsNamespace() && !sandbox.usesHostNamespace()) {
    const wanted = options.interfaceName ?? freeName(sandbox, DEFAULT_DST_PREFIX);
    if (await sandbox.namespace.hasInterface(wanted))
      throw new ForbiddenError(
        `namespace ${sandbox.key()} of sandbox ${sandbox.containerId()} already has an interface ${wanted}`,
        'interface-exists',
      );
  }
  const driver = ctx.driver(network.type());
  const before = gatewayEndpoint(sandbox.endpoints());
  const routedBefore = gatewayEndpoint(sandbox.endpoints().filter(inside));
  // A handed-over interface is made in the host namespace: the driver is given its path.
  const driverKey = options.handOver === true ? ctx.plumbing.hostKey() : sandbox.key();
  // Only in a namespace of wasmnet's own is a free name sure to be free in the kernel too.
  const offeredName =
    options.handOver !== true && sandbox.ownsNamespace()
      ? (options.interfaceName ?? freeName(sandbox, DEFAULT_DST_PREFIX))
      : undefined;
  const joinOptions = joinDriverOptions(sandbox.record.config.options, options.publish).filter(
    ([key]) => key !== INTERFACE_NAME_OPTION,
  );
  if (offeredName !== undefined) joinOptions.push([INTERFACE_NAME_OPTION, offeredName]);
  await withUndo(ctx.warn, async (undo) => {
    const effects: JoinEffects = { staticRoutes: [], disableGatewayService: false, tableEntries: [] };
    let routedWithInterface = false;
    endpoint.record.join = {
      sandboxId: sandbox.id(),
      dstName: '',
      priority: options.priority ?? 0,
      ...(options.publish === undefined || options.publish.length === 0 ? {} : { publish: options.publish }),
      effects,
      state: 'creating',
    };
    undo.push('forget the join', async () => {
      delete endpoint.record.join;
      ctx.store.endpoints.put(endpoint.id(), endpoint.record);
    });
    ctx.store.endpoints.put(endpoint.id(), endpoint.record);
    undo.push('remove what Join made', () => ctx.links?.sweep(linkOperation.join(endpoint.id())));

    try {
      Object.assign(effects, await driver.join(network.id(), endpoint.id(), driverKey, joinOptions));
    } catch (error) {
      throw asNetworkError(error, `driver ${network.type()} Join`);
    }
    // What the driver made for this join and its Leave left (a veth pair, when the interface
    // could not be set up), as leaveSandbox sweeps it.
    undo.push("remove the join's links", async () => ctx.links?.sweep(linkOperation.join(endpoint.id())));
    undo.push('driver Leave', () => driver.leave(network.id(), endpoint.id()));

    if (effects.names !== undefined && options.handOver === true) {
      // The engine moves the link into its namespace; the driver may touch it only while joining.
      // Its host end keeps its row: Leave's sweep deletes it, and the pair with it, wherever the
      // engine put the other end.
      endpoint.record.join.handedOver = { srcName: effects.names.srcName, dstPrefix: effects.names.dstPrefix };
    } else if (effects.names !== undefined) {
      const dstName =
        effects.names.srcName === offeredName
          ? offeredName
          : (options.interfaceName ?? freeName(sandbox, effects.names.dstPrefix));
      const addresses = [endpoint.record.address, endpoint.record.addressIpv6].filter(
        (cidr): cidr is string => cidr !== undefined,
      );
      const routes = effects.staticRoutes.map((route) =>
        route.nextHop === undefined
          ? { destination: route.destination }
          : { destination: route.destination, gateway: route.nextHop },
      );
      // A sandbox's first default route comes with its interface, in the same netlink send (no
      // route dump, no second request): only in a namespace of wasmnet's own, where nobody else routes.
      routedWithInterface = routedBefore === undefined && sandbox.ownsNamespace() && offersGateway(effects);
      if (routedWithInterface) {
        if (effects.gateway !== undefined) routes.push({ destination: '0.0.0.0/0', gateway: effects.gateway });
        if (effects.gatewayIpv6 !== undefined) routes.push({ destination: '::/0', gateway: effects.gatewayIpv6 });
      }
      try {
        const srcIndex = ctx.links?.claimCreatedIndex(sandbox.key(), effects.names.srcName);
        await sandbox.namespace.addInterface({
          srcName: effects.names.srcName,
          ...(srcIndex === undefined ? {} : { srcIndex }),
          dstName,
          ...(endpoint.record.mac === undefined ? {} : { mac: endpoint.record.mac }),
          addresses,
          routes,
        });
      } catch (error) {
        throw asNetworkError(error, `configure ${dstName} in sandbox ${sandbox.containerId()}`);
      }
      endpoint.record.join.dstName = dstName;
      undo.push(`remove ${dstName}`, () => sandbox.namespace.removeInterface(dstName));
    }

    for (const entry of effects.tableEntries) {
      await ctx.tables.put(ctx.hostId, network.id(), entry.tableName, entry.key, entry.value);
      undo.push(`delete table entry ${entry.tableName}/${entry.key}`, () =>
        ctx.tables.delete(ctx.hostId, network.id(), entry.tableName, entry.key),
      );
    }

    undo.push('rewrite hosts', () => sandbox.refreshHosts());
    sandbox.record.endpoints.push(endpoint.id());
    undo.push('detach from the sandbox', () => {
      sandbox.record.endpoints = sandbox.record.endpoints.filter((id) => id !== endpoint.id());
    });
    sandbox.refreshHosts();
    const after = gatewayEndpoint(sandbox.endpoints());
    checkPublishing(ctx, endpoint, before, after);
    if (after !== before && before !== undefined) {
      await revoke(ctx, sandbox, before);
      undo.push('re-program the former gateway endpoint', () => program(ctx, sandbox, before));
    }
    // Only interfaces wasmnet put in the sandbox get its default route (the engine routes the rest).
    const routedAfter = gatewayEndpoint(sandbox.endpoints().filter(inside));
    if (routedAfter !== routedBefore && !routedWithInterface) {
      await setDefaultGateway(ctx, sandbox, routedAfter);
      undo.push('restore the default gateway', () => setDefaultGateway(ctx, sandbox, routedBefore));
    }
    if (after !== before && after !== undefined) {
      await program(ctx, sandbox, after);
      undo.push('revoke external connectivity', () => revoke(ctx, sandbox, after));
    }

    endpoint.record.join.state = 'ready';
    saveJoin(ctx, endpoint, sandbox);
  });
}

/**
 * Leaves a sandbox. As in libnetwork, a driver's or the plumbing's failure here is logged and the
 * leave completes: the endpoint is free again whatever the driver says. `namespaceGone`: the
 * sandbox is being deleted and its namespace is already gone (with the interface and the links
 * the join created), so nothing is left to unplumb.
 */
export async function leaveSandbox(
  ctx: Context,
  endpoint: Endpoint,
  sandbox: Sandbox,
  options: { namespaceGone?: boolean } = {},
): Promise<void> {
  const join = endpoint.record.join;
  if (join === undefined || join.sandboxId !== sandbox.id())
    throw new NotJoinedError(endpoint.name(), sandbox.containerId());
  const network = endpoint.network;
  const plumbed = options.namespaceGone !== true;
  if (plumbed) {
    join.state = 'deleting';
    ctx.store.endpoints.put(endpoint.id(), endpoint.record);
  }
  const before = gatewayEndpoint(sandbox.endpoints());
  const routedBefore = gatewayEndpoint(sandbox.endpoints().filter(inside));
  sandbox.record.endpoints = sandbox.record.endpoints.filter((id) => id !== endpoint.id());
  const after = gatewayEndpoint(sandbox.endpoints());
  const routedAfter = gatewayEndpoint(sandbox.endpoints().filter(inside));
  if (before === endpoint)
    await tolerate(
      () => revoke(ctx, sandbox, endpoint),
      `revoke external connectivity of ${endpoint.name()}`,
      ctx.warn,
    );
  for (const entry of join.effects.tableEntries) {
    await tolerate(
      () => ctx.tables.delete(ctx.hostId, network.id(), entry.tableName, entry.key),
      `delete table entry ${entry.tableName}/${entry.key}`,
      ctx.warn,
    );
  }
  if (plumbed && join.dstName !== '')
    await tolerate(
      () => sandbox.namespace.removeInterface(join.dstName),
      `remove ${join.dstName} from ${sandbox.containerId()}`,
      ctx.warn,
    );
  await tolerate(
    () => ctx.driver(network.type()).leave(network.id(), endpoint.id()),
    `driver ${network.type()} Leave`,
    ctx.warn,
  );
  // What the join created and Leave did not remove: the interface's veth peer went with the
  // interface (the host forgets it), anything else the host deletes. Then a re-join can create
  // the same names again.
  if (plumbed)
    await tolerate(
      async () => ctx.links?.sweep(linkOperation.join(endpoint.id())),
      `remove the links of ${endpoint.name()}'s join`,
      ctx.warn,
    );
  if (plumbed && routedAfter !== routedBefore)
    await tolerate(() => setDefaultGateway(ctx, sandbox, routedAfter), 'set the default gateway', ctx.warn);
  if (plumbed && after !== before && after !== undefined)
    await tolerate(() => program(ctx, sandbox, after), `program external connectivity of ${after.name()}`, ctx.warn);
  delete endpoint.record.join;
  if (!plumbed) {
    ctx.store.endpoints.put(endpoint.id(), endpoint.record);
    return;
  }
  await tolerate(async () => sandbox.refreshHosts(), `rewrite the hosts file of ${sandbox.containerId()}`, ctx.warn);
  saveJoin(ctx, endpoint, sandbox);
}

/** The endpoint's and the sandbox's records, in one transaction. */
function saveJoin(ctx: Context, endpoint: Endpoint, sandbox: Sandbox): void {
  ctx.store.batch(() => {
    ctx.store.endpoints.put(endpoint.id(), endpoint.record);
    ctx.store.sandboxes.put(sandbox.id(), sandbox.record);
  });
}

/** What libnetwork's epHeap orders a sandbox's joined endpoints by. */
export interface GatewayCandidate {
  networkInternal: boolean;
  networkName: string;
  join: JoinRecord | undefined;
}

/**
 * libnetwork's gateway endpoint: among the joined endpoints ordered as its epHeap orders them
 * (non-internal networks first, then higher join priority, then network name), the first whose
 * driver set a gateway and did not disable the gateway service.
 */
export function pickGateway<T>(items: T[], candidate: (item: T) => GatewayCandidate): T | undefined {
  const views = new Map(items.map((item) => [item, candidate(item)]));
  const view = (item: T): GatewayCandidate => views.get(item) as GatewayCandidate;
  const ordered = [...items].sort(
    (a, b) =>
      Number(view(a).networkInternal) - Number(view(b).networkInternal) ||
      (view(b).join?.priority ?? 0) - (view(a).join?.priority ?? 0) ||
      view(a).networkName.localeCompare(view(b).networkName),
  );
  return ordered.find((item) => {
    const effects = view(item).join?.effects;
    return effects !== undefined && offersGateway(effects);
  });
}

export function gatewayEndpoint(endpoints: Endpoint[]): Endpoint | undefined {
  return pickGateway(endpoints, (endpoint) => ({
    networkInternal: endpoint.network.internal(),
    networkName: endpoint.network.name(),
    join: endpoint.record.join,
  }));
}

/** The driver set a gateway and did not disable the gateway service. */
function offersGateway(effects: JoinEffects): boolean {
  return !effects.disableGatewayService && (effects.gateway !== undefined || effects.gatewayIpv6 !== undefined);
}

/** The sandbox's default routes through the endpoint's interface; a foreign default route is a warning. */
async function setDefaultGateway(ctx: Context, sandbox: Sandbox, endpoint: Endpoint | undefined): Promise<void> {
  const own = sandbox
    .endpoints()
    .filter(inside)
    .map((joined) => joined.record.join?.dstName as string);
  for (const warning of await sandbox.namespace.setDefaultGateway(defaultGateway(endpoint), own)) ctx.warn(warning);
}

function defaultGateway(endpoint: Endpoint | undefined): DefaultGateway | undefined {
  const join = endpoint?.record.join;
  if (join === undefined || join.dstName === '') return undefined;
  return {
    dstName: join.dstName,
    ...(join.effects.gateway === undefined ? {} : { v4: join.effects.gateway }),
    ...(join.effects.gatewayIpv6 === undefined ? {} : { v6: join.effects.gatewayIpv6 }),
  };
}

/** The endpoint's interface is in the sandbox (not handed over, not interface-less). */
function inside(endpoint: Endpoint): boolean {
  return (endpoint.record.join?.dstName ?? '') !== '';
}

/** The lowest free `prefix`N among the sandbox's interfaces (eth0, eth1, ...). */
function freeName(sandbox: Sandbox, prefix: string): string {
  const taken = new Set(sandbox.endpoints().map((endpoint) => endpoint.record.join?.dstName));
  let index = 0;
  while (taken.has(`${prefix}${index}`)) index++;
  return `${prefix}${index}`;
}

/**
 * A join's ports are published on the sandbox's gateway endpoint only (as libnetwork publishes
 * a container's): a join that publishes must become it, and no join may take that place from an
 * endpoint that publishes (its ports would go). Refused rather than ignored.
 */
function checkPublishing(
  ctx: Context,
  endpoint: Endpoint,
  before: Endpoint | undefined,
  after: Endpoint | undefined,
): void {
  const network = endpoint.network;
  if (endpoint.record.join?.publish !== undefined && (after !== endpoint || !hasExternalConnectivity(ctx, network)))
    throw new ForbiddenError(
      `endpoint ${endpoint.name()} cannot publish ports: ${network.internal() ? `network ${network.name()} is internal` : 'it would not be the gateway endpoint of its sandbox (raise its --priority)'}`,
      'not-gateway',
    );
  if (before !== undefined && after !== before && before.record.join?.publish !== undefined)
    throw new ForbiddenError(
      `endpoint ${endpoint.name()} would take the gateway from ${before.name()}, which publishes ports (lower its --priority)`,
      'gateway-publishes',
    );
}

/** libnetwork skips internal networks; a driver may say it has nothing to program (its capability). */
function hasExternalConnectivity(ctx: Context, network: Endpoint['network']): boolean {
  return !network.internal() && programsExternalConnectivity(ctx.drivers.driver(network.type())?.capability);
}

/** The options Program/RevokeExternalConnectivity act on, when the driver can do anything with them. */
function externalOptions(ctx: Context, sandbox: Sandbox, endpoint: Endpoint): Array<[string, string]> | undefined {
  const network = endpoint.network;
  if (network.internal()) return undefined;
  const options = joinDriverOptions(sandbox.record.config.options, endpoint.record.join?.publish);
  return programsWith(ctx.drivers.driver(network.type())?.capability, options) ? options : undefined;
}

async function program(ctx: Context, sandbox: Sandbox, endpoint: Endpoint): Promise<void> {
  const network = endpoint.network;
  const options = externalOptions(ctx, sandbox, endpoint);
  if (options === undefined) return;
  try {
    await ctx.driver(network.type()).programExternalConnectivity(network.id(), endpoint.id(), options);
  } catch (error) {
    throw asNetworkError(error, `driver ${network.type()} ProgramExternalConnectivity`);
  }
}

async function revoke(ctx: Context, sandbox: Sandbox, endpoint: Endpoint): Promise<void> {
  const network = endpoint.network;
  if (externalOptions(ctx, sandbox, endpoint) === undefined) return;
  try {
    await ctx.driver(network.type()).revokeExternalConnectivity(network.id(), endpoint.id());
  } catch (error) {
    throw asNetworkError(error, `driver ${network.type()} RevokeExternalConnectivity`);
  }
}
