// Errors crossing from a worker thread to the main thread (structured clone drops the class).
import { NetlinkError } from '../netlink/errors.js';

export interface WorkerError {
  errno: number;
  request: string;
  netns: string;
  detail?: string;
  message: string;
}

/** `request` and `netns` describe the operation when the error is not a NetlinkError. */
export function toWorkerError(error: unknown, request: string, netns: string): WorkerError {
  return error instanceof NetlinkError
    ? { errno: error.errno, request: error.request, netns: error.netns, detail: error.detail, message: error.message }
    : { errno: 0, request, netns, message: String(error) };
}

export function fromWorkerError(error: WorkerError): Error {
  return error.errno > 0
    ? new NetlinkError(error.errno, error.request, error.netns, error.detail)
    : new Error(error.message);
}
