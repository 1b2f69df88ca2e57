// A synchronous guest import answered by the main thread: the worker posts the request and
// waits on a SharedArrayBuffer (Atomics.wait) until the main thread writes the reply.
import type { MessagePort } from 'node:worker_threads';
import type { WireError } from './errors.js';

export const CHANNEL_BYTES = 1 << 20;
const HEADER = 8;
const IDLE = 0;
const ANSWERED = 1;

export type HostReply = { ok: true; value?: unknown } | { ok: false; error: WireError };

/** JSON with byte arrays (store values, table entries) as base64. */
function encode(reply: HostReply): Uint8Array {
  return Buffer.from(
    JSON.stringify(reply, (_key, value: unknown) =>
      value instanceof Uint8Array ? { $bytes: Buffer.from(value).toString('base64') } : value,
    ),
  );
}

function decode(bytes: Uint8Array): HostReply {
  return JSON.parse(Buffer.from(bytes).toString('utf8'), (_key, value: unknown) =>
    value !== null && typeof value === 'object' && '$bytes' in value
      ? new Uint8Array(Buffer.from((value as { $bytes: string }).$bytes, 'base64'))
      : value,
  ) as HostReply;
}

/** Main thread: write the reply and wake the worker. */
export function answer(channel: SharedArrayBuffer, reply: HostReply): void {
  let bytes = encode(reply);
  if (bytes.length > CHANNEL_BYTES - HEADER) {
    bytes = encode({
      ok: false,
      error: { kind: 'internal', message: `host reply of ${bytes.length} bytes is over the channel's limit` },
    });
  }
  const state = new Int32Array(channel, 0, 2);
  new Uint8Array(channel, HEADER, bytes.length).set(bytes);
  state[1] = bytes.length;
  Atomics.store(state, 0, ANSWERED);
  Atomics.notify(state, 0);
}

/** Worker: ask the main thread and block until it answers. */
export function ask(channel: SharedArrayBuffer, port: MessagePort, op: string, args: unknown[]): HostReply {
  const state = new Int32Array(channel, 0, 2);
  port.postMessage({ type: 'host', op, args });
  Atomics.wait(state, 0, IDLE);
  const reply = decode(new Uint8Array(channel, HEADER, state[1] as number));
  Atomics.store(state, 0, IDLE);
  return reply;
}
