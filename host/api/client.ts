// A client of the REST API over its unix socket, for the CLI and the CNI plugin.
import { connect } from 'node:net';

/** An error answer of the API (its status and typed code), or `unreachable` when no daemon answers. */
export class ApiClientError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiClientError';
  }
}

/** The calls the CNI plugin makes: over the socket (ApiClient) or in the daemon (LocalApi). */
export interface ApiCaller {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
  delete(path: string, body?: unknown): Promise<void>;
}

export class ApiClient implements ApiCaller {
  constructor(
    readonly socketPath: string,
    private readonly timeoutMs = 60_000,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }
  post<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }
  delete(path: string, body?: unknown): Promise<void> {
    return this.call<void>('DELETE', path, body);
  }

  /** Raw text of a GET (metrics). */
  text(path: string): Promise<string> {
    return this.#send('GET', path).then(({ text }) => text);
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const { status, text } = await this.#send(method, path, body === undefined ? undefined : JSON.stringify(body));
    const parsed: unknown = text === '' ? undefined : JSON.parse(text);
    if (status >= 400) {
      const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new ApiClientError(status, error?.code ?? 'http-error', error?.message ?? `HTTP ${status}`);
    }
    return parsed as T;
  }

  // HTTP/1.1 over node:net, one connection per request: node:http's client costs a short-lived
  // process (the CNI plugin, the CLI) 10-20 ms to load and warm on its first request. The server
  // always sends content-length and closes after answering; the request is not half-closed (the
  // server would drop a request still being served).
  #send(method: string, path: string, payload?: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const body = payload === undefined ? '' : payload;
      const head = [
        `${method} ${path} HTTP/1.1`,
        'host: wasmnet',
        'connection: close',
        ...(payload === undefined ? [] : ['content-type: application/json']),
        `content-length: ${Buffer.byteLength(body)}`,
      ];
      const chunks: Buffer[] = [];
      const socket = connect(this.socketPath, () => socket.write(`${head.join('\r\n')}\r\n\r\n${body}`));
      socket.setTimeout(this.timeoutMs, () =>
        socket.destroy(
          new ApiClientError(0, 'timeout', `no answer from ${this.socketPath} within ${this.timeoutMs} ms`),
        ),
      );
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('end', () => {
        const response = parseResponse(Buffer.concat(chunks));
        if (response === undefined)
          reject(new ApiClientError(0, 'bad-response', `no HTTP answer from ${this.socketPath}`));
        else resolve(response);
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        if (error instanceof ApiClientError) reject(error);
        else
          reject(
            new ApiClientError(
              0,
              'unreachable',
              `cannot reach the wasmnet daemon at ${this.socketPath}: ${error.code ?? error.message}`,
            ),
          );
      });
    });
  }
}

/** The status and body of a whole HTTP/1.1 response (the body cut to its content-length). */
function parseResponse(raw: Buffer): { status: number; text: string } | undefined {
  const split = raw.indexOf('\r\n\r\n');
  if (split < 0) return undefined;
  const head = raw.subarray(0, split).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1]);
  if (!Number.isInteger(status)) return undefined;
  const length = head.find((line) => line.toLowerCase().startsWith('content-length:'));
  const body = raw.subarray(split + 4);
  const text = (length === undefined ? body : body.subarray(0, Number(length.slice(15)))).toString('utf8');
  return { status, text };
}

/** Path segment encoding for ids and names. */
export const seg = (value: string): string => encodeURIComponent(value);
