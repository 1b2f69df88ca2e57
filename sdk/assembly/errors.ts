// Building and reading libnetwork's typed errors (the WIT `error` variant).
import { WitError, WitErrorTag } from './generated/bindings';

export function invalidParameter(message: string): WitError {
  return WitError.invalidParameter(message);
}
export function notFound(message: string): WitError {
  return WitError.notFound(message);
}
export function forbidden(message: string): WitError {
  return WitError.forbidden(message);
}
export function notImplemented(message: string): WitError {
  return WitError.notImplemented(message);
}
export function internalError(message: string): WitError {
  return WitError.internal(message);
}

/** The message of any error case. */
export function errorMessage(error: WitError): string {
  switch (error.tag) {
    case WitErrorTag.InvalidParameter:
      return error.invalidParameter!;
    case WitErrorTag.NotFound:
      return error.notFound!;
    case WitErrorTag.Forbidden:
      return error.forbidden!;
    case WitErrorTag.NoService:
      return error.noService!;
    case WitErrorTag.NotImplemented:
      return error.notImplemented!;
    case WitErrorTag.Internal:
      return error.internal!;
    default:
      return error.retry!;
  }
}
