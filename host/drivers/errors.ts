// libnetwork's typed errors (types.InvalidParameterError, NotFoundError, ...), as the host
// raises them and as they cross the worker boundary (kind + message survive structured clone).
import { boundedText } from '../excerpt.js';
import type { Error as WitError } from '../generated/wit/network-driver/interfaces/wasmnet-driver-types.js';

export type ErrorKind = WitError['tag'];

export class DriverError extends Error {
  /** From an IPAM driver's `ipam-error`: its code as the WIT names it (`pool-overlap`, ...). */
  ipamCode?: string;

  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
    this.name = KIND_NAMES[kind];
  }

  /** The WIT `error` variant, for answering a guest's import. */
  toWit(): WitError {
    return { tag: this.kind, val: this.message };
  }
}

export class InvalidParameter extends DriverError {
  constructor(message: string) {
    super('invalid-parameter', message);
  }
}
export class NotFound extends DriverError {
  constructor(message: string) {
    super('not-found', message);
  }
}
export class Forbidden extends DriverError {
  constructor(message: string) {
    super('forbidden', message);
  }
}
export class NoService extends DriverError {
  constructor(message: string) {
    super('no-service', message);
  }
}
export class NotImplemented extends DriverError {
  constructor(message: string) {
    super('not-implemented', message);
  }
}
export class Internal extends DriverError {
  constructor(message: string) {
    super('internal', message);
  }
}
export class Retry extends DriverError {
  constructor(message: string) {
    super('retry', message);
  }
}

/** A call refused at once: the component keeps failing and waits out its backoff before the
 * next restart (libnetwork's NoService, with what a caller needs to decide when to retry). */
export class DriverUnhealthy extends NoService {
  constructor(
    readonly owner: string,
    readonly consecutiveFaults: number,
    readonly retryAfterMs: number,
    lastFault: string | undefined,
  ) {
    super(
      `${owner} is unhealthy after ${consecutiveFaults} consecutive faults (last: ${lastFault ?? 'unknown'}); next restart in ${retryAfterMs} ms`,
    );
    this.name = 'DriverUnhealthy';
  }
}

const KIND_NAMES: Record<ErrorKind, string> = {
  'invalid-parameter': 'InvalidParameter',
  'not-found': 'NotFound',
  forbidden: 'Forbidden',
  'no-service': 'NoService',
  'not-implemented': 'NotImplemented',
  internal: 'Internal',
  retry: 'Retry',
};

const CLASSES: Record<ErrorKind, new (message: string) => DriverError> = {
  'invalid-parameter': InvalidParameter,
  'not-found': NotFound,
  forbidden: Forbidden,
  'no-service': NoService,
  'not-implemented': NotImplemented,
  internal: Internal,
  retry: Retry,
};

/** The error as it travels in a message. */
export interface WireError {
  kind: ErrorKind;
  message: string;
  /** An IPAM driver's error code (DriverError.ipamCode). */
  ipamCode?: string;
}

export function toWire(error: DriverError): WireError {
  return {
    kind: error.kind,
    message: error.message,
    ...(error.ipamCode === undefined ? {} : { ipamCode: error.ipamCode }),
  };
}

/** Longest message of an error from a worker; a guest writes it, and it reaches API clients and logs. */
export const WIRE_MESSAGE_MAX = 1024;

/** An error from a worker (a guest's err, a compile failure), its text bounded and made printable. */
export function fromWire(wire: WireError): DriverError {
  const Kind = CLASSES[wire.kind] ?? Internal;
  const error = new Kind(boundedText(String(wire.message), WIRE_MESSAGE_MAX));
  if (wire.ipamCode !== undefined) error.ipamCode = boundedText(String(wire.ipamCode), 64);
  return error;
}

/** Any thrown value as a typed error: DriverErrors pass through, the rest become Internal. */
export function asDriverError(error: unknown, context: string): DriverError {
  if (error instanceof DriverError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new Internal(`${context}: ${message}`);
}
