// How a host import refuses a guest request: jco turns a thrown value with an own `payload`
// into the import's `err` result (a plain Error would trap the guest instead).
import type { ErrorKind, WireError } from './errors.js';

export function guestError(kind: ErrorKind, message: string): Error & { payload: { tag: ErrorKind; val: string } } {
  return Object.assign(new Error(message), { payload: { tag: kind, val: message } });
}

export function guestErrorFrom(error: WireError): Error {
  return guestError(error.kind, error.message);
}
