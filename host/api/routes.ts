// The REST API's routes: method, path pattern, body schema, and the ControllerPort call.
import { ApiError } from './errors.js';
import type { ControllerPort } from './port.js';
import * as req from './requests.js';
import type { Schema } from './schema.js';

export interface Reply {
  status: number;
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  pattern: string;
  /** Absent: the route takes no body, and any body is refused. */
  body?: Schema<unknown>;
  handle(port: ControllerPort, params: Record<string, string>, body: never): Promise<Reply>;
}

const ok = (body: unknown): Reply => ({ status: 200, body });
const created = (body: unknown): Reply => ({ status: 201, body });
const noContent: Reply = { status: 204 };

export function route<B>(
  method: Route['method'],
  pattern: string,
  body: Schema<B> | undefined,
  handle: (port: ControllerPort, p: Record<string, string>, body: B) => Promise<Reply>,
): Route {
  return { method, pattern, ...(body === undefined ? {} : { body }), handle: handle as Route['handle'] };
}

export const ROUTES: Route[] = [
  route('GET', '/v1/networks', undefined, async (port) => ok(await port.listNetworks())),
  route('POST', '/v1/networks', req.networkCreate, async (port, _, b) => {
    const { options, driver, ...rest } = b;
    return created(
      await port.createNetwork({
        ...rest,
        driver: driver ?? 'bridge',
        ...(options === undefined ? {} : { driverOptions: options }),
      }),
    );
  }),
  route('GET', '/v1/networks/:network', undefined, async (port, p) => ok(await port.inspectNetwork(p.network!))),
  route('DELETE', '/v1/networks/:network', req.remove, async (port, p, b) => {
    await port.deleteNetwork(p.network!, b);
    return noContent;
  }),
  route('GET', '/v1/networks/:network/endpoints', undefined, async (port, p) =>
    ok(await port.listEndpoints(p.network!)),
  ),
  route('POST', '/v1/networks/:network/endpoints', req.endpointCreate, async (port, p, { name, ...options }) =>
    created(await port.createEndpoint(p.network!, name, options)),
  ),
  route('GET', '/v1/networks/:network/endpoints/:endpoint', undefined, async (port, p) =>
    ok(await port.inspectEndpoint(p.network!, p.endpoint!)),
  ),
  route('DELETE', '/v1/networks/:network/endpoints/:endpoint', req.remove, async (port, p, b) => {
    await port.deleteEndpoint(p.network!, p.endpoint!, b);
    return noContent;
  }),
  route('POST', '/v1/networks/:network/endpoints/:endpoint/join', req.join, async (port, p, { sandbox, ...request }) =>
    ok(await port.join(p.network!, p.endpoint!, sandbox, request)),
  ),
  route('POST', '/v1/networks/:network/endpoints/:endpoint/leave', req.leave, async (port, p, b) =>
    ok(await port.leave(p.network!, p.endpoint!, b.sandbox)),
  ),
  route('GET', '/v1/sandboxes', undefined, async (port) => ok(await port.listSandboxes())),
  route('POST', '/v1/sandboxes', req.sandboxCreate, async (port, _, { containerId, ...options }) =>
    created(await port.createSandbox(containerId, options)),
  ),
  route('GET', '/v1/sandboxes/:sandbox', undefined, async (port, p) => ok(await port.inspectSandbox(p.sandbox!))),
  route('DELETE', '/v1/sandboxes/:sandbox', undefined, async (port, p) => {
    await port.deleteSandbox(p.sandbox!);
    return noContent;
  }),
  route('GET', '/v1/drivers', undefined, async (port) => ok(await port.listDrivers())),
  route('POST', '/v1/drivers', req.driverLoad, async (port, _, b) => created(await port.loadDriver(b.path, b.name))),
  route('GET', '/v1/drivers/:driver', undefined, async (port, p) => ok(await port.inspectDriver(p.driver!))),
  route('POST', '/v1/drivers/:driver/upgrade', req.driverUpgrade, async (port, p, b) =>
    ok(await port.upgradeDriver(p.driver!, b.path)),
  ),
  route('DELETE', '/v1/drivers/:driver', undefined, async (port, p) => {
    await port.unloadDriver(p.driver!);
    return noContent;
  }),
  route('GET', '/v1/ipam/pools', undefined, async (port) => ok(await port.listPools())),
  route('GET', '/_ping', undefined, async () => ok({ ok: true })),
];

/**
 * Runs a matched route: the body (parsed JSON, or undefined) is checked against its schema, and
 * only then handed to the port.
 */
export async function dispatch(found: Match, port: ControllerPort, json: unknown): Promise<Reply> {
  const { method, pattern, body: schema } = found.route;
  let body: unknown;
  if (schema !== undefined) body = schema.parse(json ?? {});
  else if (json !== undefined) throw new ApiError(400, 'unexpected-body', `${method} ${pattern} takes no body`);
  return found.route.handle(port, found.params, body as never);
}

export interface Match {
  route: Route;
  params: Record<string, string>;
}

/** Finds the route for a path; a known path with another method is a 405. */
export function match(routes: readonly Route[], method: string, path: string): Match {
  const parts = path.split('/');
  let pathKnown = false;
  for (const candidate of routes) {
    const params = matchPattern(candidate.pattern.split('/'), parts);
    if (params === undefined) continue;
    if (candidate.method === method) return { route: candidate, params };
    pathKnown = true;
  }
  if (pathKnown) throw new ApiError(405, 'method-not-allowed', `${method} is not allowed on ${path}`);
  throw new ApiError(404, 'no-such-route', `no route ${method} ${path}`);
}

function matchPattern(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i += 1) {
    const want = pattern[i]!;
    const got = parts[i]!;
    if (want.startsWith(':')) {
      if (got === '') return undefined;
      let value: string;
      try {
        value = decodeURIComponent(got);
      } catch {
        return undefined;
      }
      params[want.slice(1)] = value;
    } else if (want !== got) return undefined;
  }
  return params;
}
