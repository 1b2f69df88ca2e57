// Network namespaces: create (bind-mounted under a directory, /run/netns style), open by path,
// delete, and run synchronous code inside one. A thread's namespace is switched with setns and
// always switched back before returning: never hold a switch across an await.
import { closeSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { NetlinkError } from './errors.js';
import { CLONE_NEWNET, SyscallError, sys } from './libc.js';
import { openNetnsFile } from './netns-file.js';
import { NetlinkSocket } from './socket.js';
import { checkNetnsName } from './validate.js';

const SELF = '/proc/thread-self/ns/net';
let homeFd = -1;
let currentFd = -1;

function home(): number {
  if (homeFd < 0) {
    homeFd = openSync(SELF, 'r');
    currentFd = homeFd;
  }
  return homeFd;
}

/** Closes this thread's handle on its own namespace: for a worker thread about to end (a
 * worker started with trackUnmanagedFds false would leave it open). */
export function forgetHome(): void {
  if (homeFd >= 0) closeSync(homeFd);
  homeFd = -1;
  currentFd = -1;
}

function fail(error: unknown, what: string, netns: string): never {
  if (error instanceof SyscallError) throw new NetlinkError(error.errno, what, netns, `${error.call} failed`);
  if (error instanceof Error && 'errno' in error && typeof error.errno === 'number') {
    throw new NetlinkError(-error.errno, what, netns, error.message);
  }
  throw error;
}

// Switching back cannot be allowed to fail: the thread would keep acting in the wrong namespace.
function switchBack(fd: number): void {
  try {
    sys.setns(fd, CLONE_NEWNET);
  } catch (error) {
    process.stderr.write(`wasmnet: cannot switch back to the original network namespace: ${String(error)}\n`);
    process.abort();
  }
  currentFd = fd;
}

function enter<T>(fd: number, label: string, fn: () => T): T {
  home();
  const previous = currentFd;
  try {
    sys.setns(fd, CLONE_NEWNET);
  } catch (error) {
    fail(error, 'setns', label);
  }
  currentFd = fd;
  try {
    return fn();
  } finally {
    switchBack(previous);
  }
}

/** A network namespace this process uses: its file, and its cached rtnetlink socket. */
export class Netns {
  private socketCache: NetlinkSocket | undefined;
  private closed = false;

  /** @internal use openNetns, createNetns or selfNetns */
  constructor(
    /** The bind-mounted file, or null for the namespace this process started in. */
    readonly path: string | null,
    private readonly nsFd: number,
  ) {}

  get label(): string {
    return this.path ?? 'self';
  }

  /** An fd of the namespace, e.g. for IFLA_NET_NS_FD. */
  get fd(): number {
    this.assertOpen();
    return this.nsFd;
  }

  /** The rtnetlink socket bound to this namespace (created once, closed with the namespace). */
  socket(): NetlinkSocket {
    this.assertOpen();
    this.socketCache ??= this.run(() => NetlinkSocket.open(this.label));
    return this.socketCache;
  }

  /** Runs a synchronous function with this thread inside the namespace. */
  run<T>(fn: () => T): T {
    this.assertOpen();
    // The process's own namespace needs no switch unless the thread is elsewhere right now.
    if (this.path === null && currentFd === this.nsFd) return fn();
    return enter(this.nsFd, this.label, fn);
  }

  /** Closes the socket and the fd (both keep a namespace alive); the file stays. */
  close(): void {
    if (this.closed || this.path === null) return;
    this.closed = true;
    this.socketCache?.close();
    this.socketCache = undefined;
    closeSync(this.nsFd);
    opened.delete(this.path);
  }

  /** @internal */
  adoptSocket(socket: NetlinkSocket): void {
    this.socketCache = socket;
  }

  private assertOpen(): void {
    if (this.closed) throw new NetlinkError(9, 'use namespace', this.label, 'closed');
  }
}

const opened = new Map<string, Netns>();
let self: Netns | undefined;

/** The namespace the process started in (its "host" namespace). */
export function selfNetns(): Netns {
  self ??= new Netns(null, home());
  return self;
}

/** Opens (or returns the cached handle of) a namespace by its file path: only a network namespace file. */
export function openNetns(path: string): Netns {
  const cached = opened.get(path);
  if (cached) return cached;
  const netns = new Netns(path, openNetnsFile(path));
  opened.set(path, netns);
  return netns;
}

/** Runs `fn` inside the namespace at `path` (null: the process's own), always switching back. */
export function withNetns<T>(path: string | null, fn: () => T): T {
  if (path === null) return selfNetns().run(fn);
  const cached = opened.get(path);
  if (cached) return cached.run(fn);
  const fd = openNetnsFile(path);
  try {
    return enter(fd, path, fn);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates a namespace bound to `dir/name`. `setup` runs inside it before returning (e.g.
 * sysctls, lo up); if it throws, the namespace is deleted.
 */
export function createNetns(dir: string, name: string, setup?: (netns: Netns) => void): Netns {
  checkNetnsName(name);
  const unbound = unshareNetns();
  let netns: Netns;
  try {
    netns = bindNetns(dir, name, unbound);
  } catch (error) {
    sys.close(unbound.socketFd);
    closeSync(unbound.fd);
    throw error;
  }
  try {
    if (setup) netns.run(() => setup(netns));
  } catch (error) {
    deleteNetns(netns);
    throw error;
  }
  return netns;
}

/** A namespace not bound to any file yet: its fd and an rtnetlink socket opened inside it. */
export interface UnboundNetns {
  fd: number;
  socketFd: number;
}

/**
 * Creates a namespace held only by fds (no file, no mount), on the calling thread: the slow
 * half of createNetns, which a worker thread can do ahead of time (fds are process-wide).
 * `setup` runs inside it, with its socket, before the thread switches back.
 */
export function unshareNetns(setup?: (socket: NetlinkSocket) => void): UnboundNetns {
  home();
  const previous = currentFd;
  let fd = -1;
  let socket: NetlinkSocket | undefined;
  try {
    try {
      sys.unshare(CLONE_NEWNET);
    } catch (error) {
      fail(error, 'unshare(CLONE_NEWNET)', 'new namespace');
    }
    try {
      fd = openSync(SELF, 'r');
      socket = NetlinkSocket.open('new namespace');
      setup?.(socket);
    } finally {
      switchBack(previous);
    }
  } catch (error) {
    socket?.close();
    if (fd >= 0) closeSync(fd);
    if (error instanceof NetlinkError) throw error;
    fail(error, 'create namespace', 'new namespace');
  }
  return { fd, socketFd: socket.fd };
}

/** Binds an unbound namespace to `dir/name` and returns its handle, which owns its fds from
 * now on. On failure the fds stay the caller's. */
export function bindNetns(dir: string, name: string, unbound: UnboundNetns): Netns {
  checkNetnsName(name);
  const path = join(dir, name);
  try {
    mkdirSync(dir, { recursive: true });
    closeSync(openSync(path, 'wx'));
  } catch (error) {
    fail(error, 'create namespace file', path);
  }
  try {
    sys.bindMount(`/proc/self/fd/${unbound.fd}`, path);
  } catch (error) {
    unlinkSync(path);
    fail(error, 'bind namespace', path);
  }
  const netns = new Netns(path, unbound.fd);
  netns.adoptSocket(NetlinkSocket.adopt(unbound.socketFd, path));
  opened.set(path, netns);
  return netns;
}

/**
 * True when a namespace is bound to the file at `path` (it is a mount point, on another device
 * than its directory). A process killed between creating the file and mounting on it, or
 * between unmounting and removing it, leaves a plain file, which holds no namespace.
 */
export function isBoundNetns(path: string): boolean {
  try {
    return statSync(path).dev !== statSync(dirname(path)).dev;
  } catch {
    return false;
  }
}

/** Unmounts and removes a namespace file whose handle is closed (see deleteNetns). */
export function unbindNetns(path: string): void {
  try {
    sys.detach(path);
    unlinkSync(path);
  } catch (error) {
    fail(error, 'delete namespace', path);
  }
}

/** Deletes a namespace: closes its handle, unmounts and removes its file. The kernel frees it
 * (and the links inside) asynchronously once nothing else holds it. */
export function deleteNetns(netns: Netns | string): void {
  const path = typeof netns === 'string' ? netns : netns.path;
  if (path === null) throw new NetlinkError(22, 'delete namespace', 'self', 'the process namespace cannot be deleted');
  releaseNetns(path);
  unbindNetns(path);
}

/**
 * Closes this process's cached handle on the namespace at `path`, if it holds one (an open fd
 * or socket keeps a namespace, and the links in it, alive after its file is deleted elsewhere).
 */
export function releaseNetns(path: string): void {
  opened.get(path)?.close();
}
