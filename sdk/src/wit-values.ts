// How jco represents the contract's WIT values in JavaScript (the subset the SDK touches).

/** The WIT `error` variant. */
export interface WitError {
  tag: 'invalid-parameter' | 'not-found' | 'forbidden' | 'no-service' | 'not-implemented' | 'internal' | 'retry';
  val: string;
}

export type Options = [string, string][];

export interface Capability {
  dataScope: 'local' | 'global';
  connectivityScope: 'local' | 'global';
  externalConnectivity: 'none' | 'ports' | 'always';
}

export interface IpamCapability {
  requiresMacAddress: boolean;
  requiresRequestReplay: boolean;
}

/** netlink's `netns` variant. */
export type Netns = { tag: 'host' } | { tag: 'sandbox'; val: string };

export interface LinkInfo {
  index: number;
  name: string;
  kind: string;
  mtu: number;
  mac?: string;
  up: boolean;
  master?: string;
}

/** A thrown value that jco lowers into the `err` case of a result. */
export class HostError extends Error {
  constructor(readonly payload: unknown) {
    super(JSON.stringify(payload));
  }
}

export function witError(tag: WitError['tag'], val: string): HostError {
  return new HostError({ tag, val } satisfies WitError);
}
