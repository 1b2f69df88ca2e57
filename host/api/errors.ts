// Errors as the API answers them: { error: { code, message } } with an HTTP status. Errors from
// the controller are mapped by their libnetwork category (`kind`) and name, never by message.
import { SchemaError } from './schema.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ErrorBody {
  error: { code: string; message: string };
}

// libnetwork errors that mean "conflicts with the current state" rather than "not allowed".
const CONFLICT_NAMES = new Set([
  'NetworkNameError',
  'ActiveEndpointsError',
  'ActiveContainerError',
  'EndpointExistsError',
  'EndpointInUseError',
]);

const KIND_STATUS: Record<string, number> = {
  'invalid-parameter': 400,
  'not-found': 404,
  forbidden: 403,
  'no-service': 503,
  'not-implemented': 501,
  retry: 503,
  internal: 500,
};

const NAME_KIND: Record<string, string> = {
  InvalidParameterError: 'invalid-parameter',
  NotFoundError: 'not-found',
  ForbiddenError: 'forbidden',
  NoServiceError: 'no-service',
  NotImplementedError: 'not-implemented',
  RetryError: 'retry',
  InternalError: 'internal',
};

/** The status and body for any error a route raised. */
export function toErrorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof ApiError)
    return { status: error.status, body: { error: { code: error.code, message: error.message } } };
  if (error instanceof SchemaError)
    return { status: 400, body: { error: { code: error.code, message: error.message } } };
  const e = error as { name?: unknown; kind?: unknown; code?: unknown; message?: unknown } | null;
  const name = typeof e?.name === 'string' ? e.name : '';
  const kind = typeof e?.kind === 'string' ? e.kind : NAME_KIND[name];
  const message = typeof e?.message === 'string' ? e.message : String(error);
  const code = typeof e?.code === 'string' ? e.code : (kind ?? 'internal');
  if (CONFLICT_NAMES.has(name)) return { status: 409, body: { error: { code, message } } };
  const status = kind !== undefined ? (KIND_STATUS[kind] ?? 500) : 500;
  return { status, body: { error: { code, message } } };
}
