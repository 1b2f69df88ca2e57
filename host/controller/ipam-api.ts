// The controller's view of IPAM: ipam/'s `Ipam` (ipamapi), by name ("default" is DefaultIpam).
import type { Ipam } from '../../ipam/index.js';

export type { Ipam } from '../../ipam/index.js';
export { GATEWAY_ADDRESS_TYPE, REQUEST_ADDRESS_TYPE } from '../../ipam/index.js';

/** IPAM drivers by name. */
export interface IpamLookup {
  ipam(name: string): Ipam | undefined;
}

export const DEFAULT_IPAM = 'default';
