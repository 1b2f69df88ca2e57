// libnetwork's typed errors, as the controller raises them. `kind` is libnetwork's category
// (types.ForbiddenError, NotFoundError, ...: what an API maps to a status), `code` is stable
// and names the precise error (NetworkNameError → "network-name").
import { IpamError } from '../../ipam/index.js';
import { DriverError } from '../drivers/errors.js';

export type ErrorKind =
  | 'invalid-parameter'
  | 'not-found'
  | 'forbidden'
  | 'no-service'
  | 'not-implemented'
  | 'internal'
  | 'retry';

export class NetworkError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class InvalidParameterError extends NetworkError {
  constructor(message: string, code = 'invalid-parameter') {
    super('invalid-parameter', code, message);
  }
}
export class NotFoundError extends NetworkError {
  constructor(message: string, code = 'not-found') {
    super('not-found', code, message);
  }
}
export class ForbiddenError extends NetworkError {
  constructor(message: string, code = 'forbidden') {
    super('forbidden', code, message);
  }
}
export class NoServiceError extends NetworkError {
  constructor(message: string, code = 'no-service') {
    super('no-service', code, message);
  }
}
export class NotImplementedError extends NetworkError {
  constructor(message: string, code = 'not-implemented') {
    super('not-implemented', code, message);
  }
}
export class InternalError extends NetworkError {
  constructor(message: string, code = 'internal', options?: { cause?: unknown }) {
    super('internal', code, message, options);
  }
}
export class RetryError extends NetworkError {
  constructor(message: string, code = 'retry') {
    super('retry', code, message);
  }
}

/** libnetwork.NetworkNameError: a network with that name exists. */
export class NetworkNameError extends ForbiddenError {
  constructor(readonly networkName: string) {
    super(`network with name ${networkName} already exists`, 'network-name');
  }
}

/** libnetwork.ActiveEndpointsError: the network still has endpoints. */
export class ActiveEndpointsError extends ForbiddenError {
  constructor(
    readonly networkName: string,
    readonly networkId: string,
    count: number,
  ) {
    super(`network ${networkName} id ${networkId} has active endpoints (${count})`, 'active-endpoints');
  }
}

/** libnetwork.ActiveContainerError: the endpoint is still joined to a sandbox. */
export class ActiveContainerError extends ForbiddenError {
  constructor(
    readonly endpointName: string,
    readonly endpointId: string,
  ) {
    super(`endpoint with name ${endpointName} id ${endpointId} has active containers`, 'active-container');
  }
}

/** libnetwork.ErrNoSuchNetwork. */
export class NoSuchNetworkError extends NotFoundError {
  constructor(what: string) {
    super(`network ${what} not found`, 'no-such-network');
  }
}

/** libnetwork.ErrNoSuchEndpoint. */
export class NoSuchEndpointError extends NotFoundError {
  constructor(what: string) {
    super(`endpoint ${what} not found`, 'no-such-endpoint');
  }
}

/** libnetwork's ErrNoSuchSandbox / a sandbox already deleted. */
export class NoSuchSandboxError extends NotFoundError {
  constructor(what: string) {
    super(`sandbox ${what} not found`, 'no-such-sandbox');
  }
}

/** libnetwork.EndpointExistsError (a name already used in the network). */
export class EndpointExistsError extends ForbiddenError {
  constructor(endpointName: string, networkName: string) {
    super(`endpoint with name ${endpointName} already exists in network ${networkName}`, 'endpoint-exists');
  }
}

/** The endpoint is joined to another sandbox (libnetwork: "another container is attached"). */
export class EndpointInUseError extends ForbiddenError {
  constructor(endpointName: string, sandboxId: string) {
    super(
      `another container is attached to the same network endpoint ${endpointName} (sandbox ${sandboxId})`,
      'endpoint-in-use',
    );
  }
}

/** ep.leave(sbox) for a sandbox the endpoint is not joined to. */
export class NotJoinedError extends ForbiddenError {
  constructor(endpointName: string, sandboxId: string) {
    super(`endpoint ${endpointName} is not joined to sandbox ${sandboxId}`, 'not-joined');
  }
}

/** The controller was closed. */
export class ControllerClosedError extends ForbiddenError {
  constructor() {
    super('the controller is closed', 'controller-closed');
  }
}

const DRIVER_KINDS: Record<DriverError['kind'], new (message: string) => NetworkError> = {
  'invalid-parameter': InvalidParameterError,
  'not-found': NotFoundError,
  forbidden: ForbiddenError,
  'no-service': NoServiceError,
  'not-implemented': NotImplementedError,
  internal: InternalError,
  retry: RetryError,
};

// ipamapi's errors and the category libnetwork gives each (ipamapi/contract.go).
const IPAM_KINDS: Record<IpamError['code'], new (message: string, code?: string) => NetworkError> = {
  ErrInvalidAddressSpace: InvalidParameterError,
  ErrInvalidPool: InvalidParameterError,
  ErrInvalidSubPool: InvalidParameterError,
  ErrPoolNotFound: InvalidParameterError,
  ErrIPOutOfRange: InvalidParameterError,
  ErrBadPool: InvalidParameterError,
  ErrPoolOverlap: ForbiddenError,
  ErrIPAlreadyAllocated: ForbiddenError,
  ErrNoMoreSubnets: NoServiceError,
  ErrNoAvailableIPs: NoServiceError,
};

/** The IPAM error code of `error` (libnetwork's names: ErrPoolOverlap, ...), if it is one. */
export function ipamCode(error: unknown): IpamError['code'] | undefined {
  return error instanceof IpamError ? error.code : undefined;
}

/** Any error from a driver, IPAM or plumbing as a typed NetworkError, prefixed with `context`. */
export function asNetworkError(error: unknown, context: string): NetworkError {
  if (error instanceof NetworkError) return error;
  const message = `${context}: ${error instanceof Error ? error.message : String(error)}`;
  if (error instanceof DriverError) return new DRIVER_KINDS[error.kind](message);
  const code = ipamCode(error);
  if (code !== undefined) return new IPAM_KINDS[code](message, code);
  return new InternalError(message, 'internal', { cause: error });
}
