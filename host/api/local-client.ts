// The API called in process: the daemon serving a CNI command itself makes the plugin's calls
// through the same routes, schemas and typed errors as a client on the socket, without one.
import { ApiClientError, type ApiCaller } from './client.js';
import { toErrorResponse } from './errors.js';
import type { ControllerPort } from './port.js';
import { dispatch, match, ROUTES } from './routes.js';

export class LocalApi implements ApiCaller {
  constructor(private readonly port: ControllerPort) {}

  get<T>(path: string): Promise<T> {
    return this.#call<T>('GET', path, undefined);
  }
  post<T>(path: string, body: unknown): Promise<T> {
    return this.#call<T>('POST', path, body);
  }
  delete(path: string, body?: unknown): Promise<void> {
    return this.#call<void>('DELETE', path, body);
  }

  async #call<T>(method: string, path: string, body: unknown): Promise<T> {
    try {
      return (await dispatch(match(ROUTES, method, path), this.port, body)).body as T;
    } catch (error) {
      const { status, body: answer } = toErrorResponse(error);
      throw new ApiClientError(status, answer.error.code, answer.error.message);
    }
  }
}
