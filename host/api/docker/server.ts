// Serves the Docker plugin on /run/docker/plugins/<name>.sock, where dockerd discovers legacy
// plugins: POSTs with JSON bodies (no Content-Type), answered as plugins v1 JSON.
import { createServer } from 'node:http';
import { ApiError } from '../errors.js';
import { DEFAULT_MAX_BODY_BYTES, parseJson, readBody, sendJson } from '../http.js';
import { silentLogger, type Logger } from '../log.js';
import { listenUnix } from '../unix-socket.js';
import type { DockerPlugin } from './plugin.js';

export const DOCKER_PLUGINS_DIR = '/run/docker/plugins';
const CONTENT_TYPE = 'application/vnd.docker.plugins.v1+json';

export class DockerPluginServer {
  private constructor(
    readonly close: () => Promise<void>,
    readonly socketPath: string,
  ) {}

  /** `fd`: a listening socket passed by systemd for `socketPath` (socket activation). */
  static async listen(
    plugin: DockerPlugin,
    socketPath: string,
    log: Logger = silentLogger,
    fd?: number,
  ): Promise<DockerPluginServer> {
    const server = createServer((req, res) => {
      void (async () => {
        const started = performance.now();
        const path = new URL(req.url ?? '/', 'http://plugin').pathname;
        let reply: { status: number; body: object };
        try {
          if (req.method !== 'POST') throw new ApiError(405, 'method-not-allowed', 'plugin methods are POST');
          reply = await plugin.handle(path, parseJson(await readBody(req, DEFAULT_MAX_BODY_BYTES)));
        } catch (error) {
          const status = error instanceof ApiError ? error.status : 500;
          reply = { status, body: { Err: (error as Error).message, Error: (error as Error).message } };
        }
        const ms = Math.round((performance.now() - started) * 1000) / 1000;
        log('debug', 'docker plugin call', {
          method: path,
          status: reply.status,
          failed: 'Err' in reply.body || 'Error' in reply.body,
          ms,
        });
        sendJson(res, reply.status, reply.body, CONTENT_TYPE);
      })();
    });
    const close = await listenUnix(server, { path: socketPath, mode: 0o600, ...(fd === undefined ? {} : { fd }) });
    return new DockerPluginServer(close, socketPath);
  }
}
