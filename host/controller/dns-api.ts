// The port to the embedded DNS (host/dns's EmbeddedDns): a resolver at 127.0.0.11 inside each
// sandbox that asks for one, answering from what sandbox-names.ts reads of the model.
import type { NameSource } from '../dns/resolver.js';
import type { DnsSockets } from './plumbing.js';

export { RESOLVER_ADDRESS as EMBEDDED_DNS_ADDRESS } from '../dns/address.js';
export type { NameSource };

export interface EmbeddedDnsPort {
  /** Whether one more sandbox can get a resolver (each holds sockets). */
  hasRoom(): boolean;
  /**
   * Serves the sandbox whose namespace is at `key`, on `sockets` when given (bound inside it,
   * now the DNS's), else on sockets it binds there; throws when it cannot.
   */
  serve(key: string, names: NameSource, sockets?: DnsSockets): void;
  /** Closes the sandbox's resolver (its sockets keep the namespace alive). */
  stop(key: string): void;
  close(): void;
}
