// The embedded DNS of every sandbox a controller serves: one resolver per sandbox namespace, one
// forwarder (and its budget of sockets) for all of them.
import { Forwarder } from './forwarder.js';
import type { ServerSockets } from './sockets.js';
import { type NameSource, type ResolverLimits, SandboxResolver } from './resolver.js';

export interface EmbeddedDnsOptions {
  /** The host's namespace, where forwarded queries leave from (null or absent: this process's own). */
  hostNetns?: string | null;
  /** Resolvers open at once (each holds a UDP and a TCP socket). */
  maxResolvers?: number;
  /** Forwards in flight across all sandboxes (each holds a socket). */
  maxForwards?: number;
  /** How long one upstream has to answer a forwarded query. */
  upstreamTimeoutMs?: number;
  limits?: Partial<ResolverLimits>;
}

export const DNS_DEFAULTS = {
  maxResolvers: 1024,
  maxForwards: 1024,
  upstreamTimeoutMs: 2000,
  limits: { maxForwards: 64, maxConnections: 16, idleMs: 10_000 },
} as const;

export class EmbeddedDns {
  readonly #resolvers = new Map<string, SandboxResolver>();
  readonly #forwarder: Forwarder;
  readonly #limits: ResolverLimits;
  readonly #maxResolvers: number;

  constructor(options: EmbeddedDnsOptions = {}) {
    this.#forwarder = new Forwarder({
      hostNetns: options.hostNetns ?? null,
      timeoutMs: options.upstreamTimeoutMs ?? DNS_DEFAULTS.upstreamTimeoutMs,
      maxInFlight: options.maxForwards ?? DNS_DEFAULTS.maxForwards,
    });
    this.#limits = { ...DNS_DEFAULTS.limits, ...options.limits };
    this.#maxResolvers = options.maxResolvers ?? DNS_DEFAULTS.maxResolvers;
  }

  /** Whether one more resolver may open (sandboxes beyond the budget get the host's resolvers). */
  hasRoom(): boolean {
    return this.#resolvers.size < this.#maxResolvers;
  }

  /**
   * Serves 127.0.0.11:53 inside the namespace at `key`: on `sockets` (already bound there) when
   * given, else on sockets bound now; throws when they cannot be bound.
   */
  serve(key: string, names: NameSource, sockets?: ServerSockets): void {
    this.stop(key);
    this.#resolvers.set(key, new SandboxResolver(key, names, this.#forwarder, this.#limits, sockets));
  }

  /** Closes the sandbox's resolver: its sockets hold the namespace, so this comes before deleting it. */
  stop(key: string): void {
    this.#resolvers.get(key)?.close();
    this.#resolvers.delete(key);
  }

  serving(key: string): boolean {
    return this.#resolvers.has(key);
  }

  close(): void {
    for (const resolver of this.#resolvers.values()) resolver.close();
    this.#resolvers.clear();
    this.#forwarder.close();
  }
}
