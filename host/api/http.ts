// HTTP plumbing shared by the API and the Docker plugin servers: bounded body reading, JSON
// parsing with a typed error, JSON answers, and a unix socket listener with a file mode.
import { chmod, mkdir, rm } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { dirname } from 'node:path';
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

/**
 * Connections the kernel queues before they are accepted. Node's default (511) reset 310 of
 * 1 000 simultaneous clients; the kernel caps it at net.core.somaxconn (4096 by default).
 */
const LISTEN_BACKLOG = 4096;

/** Listens on a unix socket: stale socket removed, directory created, file mode applied. */
export async function listenUnix(server: Server, path: string, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await rm(path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ path, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(path, mode);
}

export async function closeServer(server: Server, path: string): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  await rm(path, { force: true });
}
