// HTTP plumbing shared by the API and the Docker plugin servers: bounded body reading, JSON
// parsing with a typed error, JSON answers (the sockets: unix-socket.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './errors.js';

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/** Reads the body, refusing more than `limit` bytes (413) before reading it all. */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new ApiError(413, 'body-too-large', `request body exceeds ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new ApiError(413, 'body-too-large', `request body exceeds ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** JSON.parse with a typed 400; an empty body is `undefined` (for routes without a body). */
export function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, 'malformed-json', `malformed JSON: ${(error as Error).message}`);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  // After a 413 the rest of the body is unread: close the connection rather than drain it.
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    ...(status === 413 ? { connection: 'close' } : {}),
  });
  res.end(text);
}
