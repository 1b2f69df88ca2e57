// The CNI plugin's commands, each one a few calls to the daemon's API: ADD creates (on first use)
// the network named by the config, a sandbox on the runtime's namespace and an endpoint joined to
// it; DEL undoes that and succeeds when things are already gone; CHECK compares with prevResult.
import { ApiClient, ApiClientError, seg, type ApiCaller } from '../api/client.js';
import type { EndpointView, NetworkView, SandboxView } from '../api/port.js';
import { DEFAULT_API_SOCKET } from '../api/socket-path.js';
import { RESOLVER_ADDRESS as EMBEDDED_DNS_ADDRESS } from '../dns/address.js';
import {
  CODES,
  CniError,
  LATEST,
  SUPPORTED_VERSIONS,
  atLeast,
  parseConfig,
  parseEnv,
  type CniEnv,
  type NetConf,
} from './spec.js';

export interface CniOutcome {
  exitCode: number;
  stdout: string;
}

/** Runs one CNI invocation; `client` overrides the daemon connection (the daemon's own, tests). */
export async function runCni(
  env: Record<string, string | undefined>,
  stdin: string,
  client?: (socket: string) => ApiCaller,
): Promise<CniOutcome> {
  let version = LATEST;
  try {
    const cni = parseEnv(env);
    if (cni.command === 'VERSION') return done({ cniVersion: LATEST, supportedVersions: SUPPORTED_VERSIONS });
    const conf = parseConfig(stdin);
    version = conf.cniVersion;
    const api = (client ?? ((socket) => new ApiClient(socket, 30_000)))(conf.socket ?? DEFAULT_API_SOCKET);
    switch (cni.command) {
      case 'ADD':
        return done(await add(api, cni, conf));
      case 'DEL':
        await del(api, cni, conf);
        return done(undefined);
      case 'CHECK':
        needVersion(conf, '0.4.0', 'CHECK');
        await check(api, cni, conf);
        return done(undefined);
      case 'STATUS':
        needVersion(conf, '1.1.0', 'STATUS');
        await status(api);
        return done(undefined);
      default:
        needVersion(conf, '1.1.0', 'GC');
        await gc(api, conf);
        return done(undefined);
    }
  } catch (error) {
    const cniError = error instanceof CniError ? error : fromApi(error);
    return { exitCode: 1, stdout: `${JSON.stringify(cniError.toResult(version))}\n` };
  }
}

const done = (result: object | undefined): CniOutcome => ({
  exitCode: 0,
  stdout: result === undefined ? '' : `${JSON.stringify(result)}\n`,
});

function needVersion(conf: NetConf, min: string, command: string): void {
  if (!atLeast(conf.cniVersion, min))
    throw new CniError(
      CODES.incompatibleVersion,
      `${command} needs cniVersion ${min} or later, got ${conf.cniVersion}`,
    );
}

function fromApi(error: unknown): CniError {
  if (error instanceof ApiClientError) {
    if (error.code === 'unreachable' || error.code === 'timeout' || error.status === 503)
      return new CniError(CODES.tryAgainLater, error.message);
    if (error.status === 400) return new CniError(CODES.invalidConfig, error.message, error.code);
    return new CniError(CODES.daemonRefused, error.message, error.code);
  }
  return new CniError(CODES.ioFailure, error instanceof Error ? error.message : String(error));
}

/** The endpoint of one (container, interface) attachment. */
export function endpointName(containerId: string, ifname: string): string {
  return `cni-${containerId.replace(/[^A-Za-z0-9_.-]/g, '_')}-${ifname}`;
}

async function optional<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof ApiClientError && error.status === 404) return undefined;
    throw error;
  }
}

/**
 * The network named `name`, if there is one. The API also takes a unique prefix of an id: a CNI
 * name such as "db" could otherwise find another network whose id starts with it.
 */
async function networkNamed(api: ApiCaller, name: string): Promise<NetworkView | undefined> {
  const network = await optional(api.get<NetworkView>(`/v1/networks/${seg(name)}`));
  return network?.name === name ? network : undefined;
}

async function ensureNetwork(api: ApiCaller, conf: NetConf): Promise<NetworkView> {
  const existing = await networkNamed(api, conf.name);
  if (existing !== undefined) return existing;
  const config =
    conf.subnet === undefined
      ? []
      : [{ subnet: conf.subnet, ...(conf.gateway === undefined ? {} : { gateway: conf.gateway }) }];
  try {
    return await api.post<NetworkView>('/v1/networks', {
      name: conf.name,
      driver: conf.driver ?? 'bridge',
      ...(conf.options ? { options: conf.options } : {}),
      ipam: { config },
    });
  } catch (error) {
    // Another ADD created it in between.
    if (error instanceof ApiClientError && error.status === 409)
      return api.get<NetworkView>(`/v1/networks/${seg(conf.name)}`);
    throw error;
  }
}

/** The API error's code, when `error` is one with this status. */
const refusal = (error: unknown, status: number): string | undefined =>
  error instanceof ApiClientError && error.status === status ? error.code : undefined;

// Four round trips in the common case (the network exists, the container is new): the
// sandbox and the endpoint are created first and looked up only when they exist already.
async function add(api: ApiCaller, cni: CniEnv, conf: NetConf): Promise<object> {
  const containerId = cni.containerId!;
  const ifname = cni.ifname!;
  const network = await ensureNetwork(api, conf);
  const name = endpointName(containerId, ifname);
  let sandbox: SandboxView;
  const undo: Array<() => Promise<void>> = [];
  try {
    // The engine made the namespace, but through CNI it does no DNS of its own: wasmnet's embedded
    // DNS serves it (its address goes back in the result's dns, which the runtime puts in resolv.conf).
    sandbox = await api.post<SandboxView>('/v1/sandboxes', { containerId, externalKey: cni.netns, embeddedDns: true });
    undo.push(() => api.delete(`/v1/sandboxes/${seg(sandbox.id)}`));
  } catch (error) {
    // Another interface of the same container.
    if (refusal(error, 403) !== 'sandbox-exists') throw error;
    sandbox = await api.get<SandboxView>(`/v1/sandboxes/${seg(containerId)}`);
  }
  try {
    // The container's name (K8S_POD_NAME, which podman passes) is what its neighbours resolve.
    const containerName = cni.args.K8S_POD_NAME;
    const created = await api
      .post<EndpointView>(`/v1/networks/${seg(network.id)}/endpoints`, {
        name,
        ...(containerName ? { aliases: [containerName] } : {}),
      })
      .catch((error: unknown) => {
        if (refusal(error, 409) !== 'endpoint-exists') throw error;
        throw new CniError(
          CODES.daemonRefused,
          `container ${containerId} already has ${ifname} on network ${conf.name}`,
        );
      });
    undo.unshift(() => api.delete(`/v1/networks/${seg(network.id)}/endpoints/${seg(created.id)}`));
    const ep = await api.post<EndpointView>(`/v1/networks/${seg(network.id)}/endpoints/${seg(created.id)}/join`, {
      sandbox: sandbox.id,
      interfaceName: ifname,
    });
    return result(conf.cniVersion, ifname, cni.netns!, ep);
  } catch (error) {
    for (const step of undo) await step().catch(() => undefined);
    throw error;
  }
}

function result(cniVersion: string, ifname: string, netns: string, ep: EndpointView): object {
  const legacy = !atLeast(cniVersion, '1.0.0');
  const ips: object[] = [];
  const routes: object[] = [];
  for (const [address, gateway, v] of [
    [ep.ipv4Address, ep.gateway, '4'],
    [ep.ipv6Address, ep.gatewayIpv6, '6'],
  ] as const) {
    if (address === undefined) continue;
    ips.push({
      ...(legacy ? { version: v } : {}),
      address,
      ...(gateway ? { gateway: gateway.split('/')[0] } : {}),
      interface: 0,
    });
    if (gateway) routes.push({ dst: v === '4' ? '0.0.0.0/0' : '::/0', gw: gateway.split('/')[0] });
  }
  return {
    cniVersion,
    interfaces: [{ name: ifname, ...(ep.macAddress ? { mac: ep.macAddress } : {}), sandbox: netns }],
    ips,
    routes,
    dns: { nameservers: [EMBEDDED_DNS_ADDRESS] },
  };
}

/** Leaves and deletes one attachment's endpoint, and the sandbox once nothing is left in it. */
async function detach(api: ApiCaller, networkId: string, name: string, containerId: string): Promise<void> {
  const ep = await optional(api.get<EndpointView>(`/v1/networks/${seg(networkId)}/endpoints/${seg(name)}`));
  if (ep !== undefined) {
    if (ep.sandboxId !== undefined)
      await optional(
        api.post(`/v1/networks/${seg(networkId)}/endpoints/${seg(ep.id)}/leave`, { sandbox: ep.sandboxId }),
      );
    await optional(api.delete(`/v1/networks/${seg(networkId)}/endpoints/${seg(ep.id)}`));
  }
  const sandbox = await optional(api.get<SandboxView>(`/v1/sandboxes/${seg(containerId)}`));
  if (sandbox !== undefined && sandbox.endpoints.length === 0)
    await optional(api.delete(`/v1/sandboxes/${seg(sandbox.id)}`));
}

async function del(api: ApiCaller, cni: CniEnv, conf: NetConf): Promise<void> {
  const network = await networkNamed(api, conf.name);
  if (network === undefined) return;
  await detach(api, network.id, endpointName(cni.containerId!, cni.ifname!), cni.containerId!);
}

async function check(api: ApiCaller, cni: CniEnv, conf: NetConf): Promise<void> {
  const prev = conf.prevResult as { ips?: Array<{ address?: unknown }> } | undefined;
  if (prev === undefined) throw new CniError(CODES.invalidConfig, 'CHECK needs prevResult');
  const network = await networkNamed(api, conf.name);
  if (network === undefined) throw new CniError(CODES.unknownContainer, `network ${conf.name} does not exist`);
  const ep = await optional(
    api.get<EndpointView>(
      `/v1/networks/${seg(network.id)}/endpoints/${seg(endpointName(cni.containerId!, cni.ifname!))}`,
    ),
  );
  if (ep === undefined || ep.sandboxId === undefined)
    throw new CniError(CODES.unknownContainer, `container ${cni.containerId} has no ${cni.ifname} on ${conf.name}`);
  if (ep.sandboxKey !== undefined && ep.sandboxKey !== cni.netns)
    throw new CniError(CODES.daemonRefused, `${cni.ifname} is in ${ep.sandboxKey}, not ${cni.netns}`);
  const want = new Set((prev.ips ?? []).map((ip) => ip.address));
  const have = new Set([ep.ipv4Address, ep.ipv6Address].filter((a) => a !== undefined));
  if (want.size !== have.size || [...have].some((a) => !want.has(a))) {
    throw new CniError(CODES.daemonRefused, `addresses differ from prevResult: have ${[...have].join(', ') || 'none'}`);
  }
}

async function status(api: ApiCaller): Promise<void> {
  try {
    await api.get('/_ping');
  } catch (error) {
    throw new CniError(CODES.pluginNotAvailable, `the wasmnet daemon is not available: ${(error as Error).message}`);
  }
}

/** Removes this network's CNI endpoints that are not in cni.dev/valid-attachments. */
async function gc(api: ApiCaller, conf: NetConf): Promise<void> {
  const network = await networkNamed(api, conf.name);
  if (network === undefined) return;
  const valid = new Set((conf['cni.dev/valid-attachments'] ?? []).map((a) => endpointName(a.containerID, a.ifname)));
  const sandboxes = new Map((await api.get<SandboxView[]>('/v1/sandboxes')).map((s) => [s.id, s.containerId]));
  for (const ep of await api.get<EndpointView[]>(`/v1/networks/${seg(network.id)}/endpoints`)) {
    if (!ep.name.startsWith('cni-') || valid.has(ep.name)) continue;
    const containerId = ep.sandboxId === undefined ? undefined : sandboxes.get(ep.sandboxId);
    await detach(api, network.id, ep.name, containerId ?? '');
  }
}
