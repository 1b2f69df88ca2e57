// The REST API server: node:http on a unix socket (root-only by default). Each request is read
// within a size limit, parsed, validated against its route's schema and only then handed to
// the ControllerPort, so a bad request changes nothing.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ApiError, toErrorResponse } from './errors.js';
import { DEFAULT_MAX_BODY_BYTES, parseJson, readBody, sendJson } from './http.js';
import { silentLogger, type Logger } from './log.js';
import { ApiMetrics } from './metrics.js';
import type { ControllerPort } from './port.js';
import { dispatch, match, ROUTES, type Reply, type Route } from './routes.js';
import { DEFAULT_API_SOCKET } from './socket-path.js';
import { listenUnix } from './unix-socket.js';

export interface ApiServerOptions {
  socketPath?: string;
  /** The socket file's mode (default 0600: root only). */
  mode?: number;
  /** A listening socket passed by systemd for `socketPath` (socket activation). */
  fd?: number;
  /** Where the counters go (the daemon adds its own to the same page). */
  metrics?: ApiMetrics;
  maxBodyBytes?: number;
  log?: Logger;
  /** Routes served besides ROUTES (the daemon's CNI route). */
  routes?: Route[];
}

export class ApiServer {
  readonly metrics: ApiMetrics;
  readonly socketPath: string;
  #close: () => Promise<void> = async () => undefined;
  readonly #server: Server;
  readonly #maxBody: number;
  readonly #log: Logger;
  readonly #routes: Route[];

  private constructor(
    private readonly port: ControllerPort,
    options: ApiServerOptions,
  ) {
    this.socketPath = options.socketPath ?? DEFAULT_API_SOCKET;
    this.#maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.#log = options.log ?? silentLogger;
    this.metrics = options.metrics ?? new ApiMetrics();
    this.#routes = [...ROUTES, ...(options.routes ?? [])];
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  static async listen(port: ControllerPort, options: ApiServerOptions = {}): Promise<ApiServer> {
    const server = new ApiServer(port, options);
    server.#close = await listenUnix(server.#server, {
      path: server.socketPath,
      mode: options.mode ?? 0o600,
      ...(options.fd === undefined ? {} : { fd: options.fd }),
    });
    server.#log('info', 'api listening', {
      socket: server.socketPath,
      ...(options.fd === undefined ? {} : { activated: true }),
    });
    return server;
  }

  close(): Promise<void> {
    return this.#close();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = req.method ?? 'GET';
    let routeName = `${method} (unmatched)`;
    let reply: Reply;
    try {
      const url = new URL(req.url ?? '/', 'http://wasmnet');
      if ([...url.searchParams.keys()].length > 0)
        throw new ApiError(400, 'unknown-field', 'query parameters are not accepted');
      if (method === 'GET' && url.pathname === '/metrics') {
        routeName = 'GET /metrics';
        await readBody(req, 0);
        reply = {
          status: 200,
          body: this.metrics.render(await this.port.listDrivers(), await this.port.listPools()),
          contentType: 'text/plain; version=0.0.4',
        };
      } else {
        const found = match(this.#routes, method, url.pathname);
        routeName = `${found.route.method} ${found.route.pattern}`;
        reply = await dispatch(found, this.port, parseJson(await readBody(req, this.#maxBody)));
      }
    } catch (error) {
      const { status, body } = toErrorResponse(error);
      reply = { status, body };
      if (status >= 500) this.#log('error', 'request failed', { route: routeName, status, error: body.error });
    }
    if (typeof reply.body === 'string') {
      res.writeHead(reply.status, {
        ...reply.headers,
        'content-type': reply.contentType ?? 'text/plain',
        'content-length': Buffer.byteLength(reply.body),
      });
      res.end(reply.body);
    } else sendJson(res, reply.status, reply.body);
    const ms = performance.now() - started;
    this.metrics.observe(routeName, reply.status, ms);
    this.#log('debug', 'request', { route: routeName, status: reply.status, ms: Math.round(ms * 1000) / 1000 });
  }
}
