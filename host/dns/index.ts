// The embedded DNS: per sandbox a resolver at 127.0.0.11:53 (UDP and TCP) inside its namespace.
export { DNS_DEFAULTS, EmbeddedDns, type EmbeddedDnsOptions } from './embedded-dns.js';
export { Forwarder, type ForwarderOptions } from './forwarder.js';
export { RESOLVER_ADDRESS } from './address.js';
export { type NameSource, type ResolverLimits, SandboxResolver } from './resolver.js';
export { bindServerSockets, udpSocketIn } from './sockets.js';
export * as wire from './wire.js';
