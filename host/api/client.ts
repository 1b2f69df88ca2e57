// A client of the REST API over its unix socket, for the CLI and the CNI plugin.
import { request } from 'node:http';

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

export class ApiClient {
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

  #send(method: string, path: string, payload?: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> =
        payload === undefined
          ? {}
          : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) };
      const req = request({ socketPath: this.socketPath, method, path, headers, timeout: this.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () =>
        req.destroy(new ApiClientError(0, 'timeout', `no answer from ${this.socketPath} within ${this.timeoutMs} ms`)),
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
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
      req.end(payload);
    });
  }
}

/** Path segment encoding for ids and names. */
export const seg = (value: string): string => encodeURIComponent(value);
