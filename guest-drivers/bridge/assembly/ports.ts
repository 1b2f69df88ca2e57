// Published ports as dockerd gives them (`com.docker.network.portmap`, libnetwork's
// []types.PortBinding as JSON: [{"Proto":6,"IP":"","Port":80,"HostIP":"","HostPort":8080,
// "HostPortEnd":8080}]) and exposed ports (`com.docker.network.endpoint.exposedports`,
// [{"Proto":6,"Port":80}]). A value this driver cannot honour is refused, never skipped.
import { Protocol, Result, WitError, invalidParameter } from '@wasmnet/sdk';

export class PortBinding {
  constructor(
    public protocol: Protocol,
    public hostIp: string | null,
    public hostPort: u16,
    public containerPort: u16,
  ) {}
}

/** The objects of a JSON array of flat objects, each as its "key":value pairs (values raw). */
function objects(json: string): Array<Map<string, string>> | null {
  const out: Map<string, string>[] = [];
  const text = json.trim();
  if (text == '' || text == 'null' || text == '[]') return out;
  if (!text.startsWith('[') || !text.endsWith(']')) return null;
  let at = 1;
  while (at < text.length - 1) {
    const open = text.indexOf('{', at);
    if (open < 0) break;
    const close = text.indexOf('}', open);
    if (close < 0) return null;
    const fields = new Map<string, string>();
    const pairs = text.substring(open + 1, close).split(',');
    for (let i = 0; i < pairs.length; i++) {
      const colon = pairs[i].indexOf(':');
      if (colon < 0) continue;
      fields.set(unquote(pairs[i].substring(0, colon)), unquote(pairs[i].substring(colon + 1)));
    }
    out.push(fields);
    at = close + 1;
  }
  return out;
}

function unquote(raw: string): string {
  const text = raw.trim();
  if (text == 'null') return '';
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.substring(1, text.length - 1) : text;
}

function number(fields: Map<string, string>, key: string): i64 {
  if (!fields.has(key)) return 0;
  const text = fields.get(key);
  if (text.length == 0 || text.length > 7) return -1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 48 || text.charCodeAt(i) > 57) return -1;
  return I64.parseInt(text);
}

function protocolOf(fields: Map<string, string>, what: string): Result<Protocol, WitError> {
  const proto = number(fields, 'Proto');
  if (proto == 6) return Result.ok<Protocol, WitError>(Protocol.Tcp);
  if (proto == 17) return Result.ok<Protocol, WitError>(Protocol.Udp);
  return Result.err<Protocol, WitError>(
    invalidParameter(`bridge driver: ${what}: protocol ${proto} is not supported (tcp and udp are)`),
  );
}

function port(value: i64, what: string): WitError | null {
  return value < 1 || value > 65535
    ? invalidParameter(`bridge driver: ${what} ${value} is not a port (1..65535)`)
    : null;
}

export function parsePortMap(json: string): Result<PortBinding[], WitError> {
  const list = objects(json);
  if (list === null)
    return Result.err<PortBinding[], WitError>(invalidParameter(`bridge driver: malformed port map ${json}`));
  const out: PortBinding[] = [];
  for (let i = 0; i < list.length; i++) {
    const fields = list[i];
    const protocol = protocolOf(fields, 'published port');
    if (!protocol.isOk) return Result.err<PortBinding[], WitError>(protocol.error!);
    const hostPort = number(fields, 'HostPort');
    const containerPort = number(fields, 'Port');
    const end = number(fields, 'HostPortEnd');
    let error = port(hostPort, 'host port');
    if (error === null) error = port(containerPort, 'container port');
    if (error === null && end != 0 && end != hostPort)
      error = invalidParameter(`bridge driver: host port range ${hostPort}-${end} is not supported`);
    if (error !== null) return Result.err<PortBinding[], WitError>(error);
    const hostIp = fields.has('HostIP') ? fields.get('HostIP') : '';
    out.push(
      new PortBinding(
        protocol.value,
        hostIp == '' || hostIp == '0.0.0.0' ? null : hostIp,
        <u16>hostPort,
        <u16>containerPort,
      ),
    );
  }
  return Result.ok<PortBinding[], WitError>(out);
}

/** Exposed ports are only checked: a port is exposed without being published, as in Docker. */
export function checkExposedPorts(json: string): WitError | null {
  const list = objects(json);
  if (list === null) return invalidParameter(`bridge driver: malformed exposed ports ${json}`);
  for (let i = 0; i < list.length; i++) {
    const protocol = protocolOf(list[i], 'exposed port');
    if (!protocol.isOk) return protocol.error;
    const error = port(number(list[i], 'Port'), 'exposed port');
    if (error !== null) return error;
  }
  return null;
}
