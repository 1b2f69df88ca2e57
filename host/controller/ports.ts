// Published ports as drivers read them: libnetwork's port map option
// (`com.docker.network.portmap`, []types.PortBinding as JSON), the form dockerd passes too.
import type { PortBinding } from './model.js';

export const PORT_MAP_OPTION = 'com.docker.network.portmap';
/** libnetwork's exposed ports option ([]types.TransportPort as JSON). */
export const EXPOSED_PORTS_OPTION = 'com.docker.network.endpoint.exposedports';

const PROTOCOL_NUMBERS = { tcp: 6, udp: 17 } as const;

/** The bindings in Docker's JSON shape. */
export function portMapJson(ports: readonly PortBinding[]): string {
  return JSON.stringify(
    ports.map((port) => ({
      Proto: PROTOCOL_NUMBERS[port.protocol],
      IP: '',
      Port: port.containerPort,
      HostIP: port.hostIp ?? '',
      HostPort: port.hostPort,
      HostPortEnd: port.hostPort,
    })),
  );
}

/**
 * The bindings of a port map in Docker's JSON shape (what dockerd passed): [] when there is none
 * or it is not one. Entries without a host port (nothing published) are left out.
 */
export function portMapBindings(json: string | undefined): PortBinding[] {
  let entries: unknown;
  try {
    entries = json === undefined ? [] : JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(entries)) return [];
  return entries.flatMap((entry: Record<string, unknown>): PortBinding[] => {
    const protocol =
      entry?.Proto === PROTOCOL_NUMBERS.udp ? 'udp' : entry?.Proto === PROTOCOL_NUMBERS.tcp ? 'tcp' : undefined;
    const hostPort = Number(entry?.HostPort);
    const containerPort = Number(entry?.Port);
    if (protocol === undefined || !(hostPort > 0) || !(containerPort > 0)) return [];
    const hostIp = typeof entry.HostIP === 'string' && entry.HostIP !== '' ? entry.HostIP : undefined;
    return [{ protocol, ...(hostIp === undefined ? {} : { hostIp }), hostPort, containerPort }];
  });
}

/**
 * The options a driver's Join and ProgramExternalConnectivity get: the sandbox's, with the
 * join's published ports in place of the sandbox's port map when the join names some.
 */
export function joinDriverOptions(
  sandboxOptions: Record<string, string> | undefined,
  publish: readonly PortBinding[] | undefined,
): Array<[string, string]> {
  const options = Object.entries(sandboxOptions ?? {});
  if (publish === undefined || publish.length === 0) return options;
  return [...options.filter(([key]) => key !== PORT_MAP_OPTION), [PORT_MAP_OPTION, portMapJson(publish)]];
}

/** Whether the options name a port to publish or expose (a value that is not a JSON list counts: the driver refuses it). */
export function namesPorts(options: ReadonlyArray<[string, string]>): boolean {
  return options.some(([key, value]) => {
    if (key !== PORT_MAP_OPTION && key !== EXPOSED_PORTS_OPTION) return false;
    try {
      const list: unknown = JSON.parse(value || '[]');
      return list !== null && (!Array.isArray(list) || list.length > 0);
    } catch {
      return true;
    }
  });
}
