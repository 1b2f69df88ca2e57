// Re-requesting from an IPAM what the store says it gave: after a restart of the controller
// (restore.ts) or of an IPAM driver component (driver-replay.ts). An IPAM that kept it answers
// "overlap" or "already allocated", which is fine.
import { ipOf } from './cidr.js';
import { ipamCode } from './errors.js';
import { GATEWAY_ADDRESS_TYPE, REQUEST_ADDRESS_TYPE, type Ipam } from './ipam-api.js';
import type { EndpointRecord, NetworkRecord } from './model.js';

/** Re-requests a network's pools, gateways and aux addresses; an IPAM that kept them says so. */
export async function replayPools(
  ipam: Ipam,
  record: NetworkRecord,
  poolIds: Map<string, string>,
  warn: (message: string) => void,
): Promise<void> {
  for (const pool of [...record.ipv4, ...record.ipv6]) {
    try {
      const response = await ipam.requestPool({
        addressSpace: pool.addressSpace,
        pool: pool.pool,
        ...(pool.subPool === undefined ? {} : { subPool: pool.subPool }),
        options: record.ipamOptions,
        v6: pool.pool.includes(':'),
      });
      poolIds.set(pool.poolId, response.poolId);
      pool.poolId = response.poolId;
    } catch (error) {
      if (ipamCode(error) !== 'ErrPoolOverlap') warn(`replay pool ${pool.pool} of ${record.name}: ${String(error)}`);
    }
    const gatewayOptions = { [REQUEST_ADDRESS_TYPE]: GATEWAY_ADDRESS_TYPE };
    await replayAddress(ipam, { poolId: pool.poolId, cidr: pool.gateway, options: gatewayOptions }, warn);
    if (pool.auxHeldByCreator === true) continue;
    for (const aux of Object.values(pool.auxAddresses))
      await replayAddress(ipam, { poolId: pool.poolId, cidr: aux }, warn);
  }
}

export async function replayAddresses(
  ipam: Ipam,
  record: EndpointRecord,
  warn: (message: string) => void,
): Promise<void> {
  if (record.address !== undefined && record.poolV4 !== undefined)
    await replayAddress(ipam, { poolId: record.poolV4, cidr: record.address }, warn);
  if (record.addressIpv6 !== undefined && record.poolV6 !== undefined)
    await replayAddress(ipam, { poolId: record.poolV6, cidr: record.addressIpv6 }, warn);
}

async function replayAddress(
  ipam: Ipam,
  { poolId, cidr, options = {} }: { poolId: string; cidr: string | undefined; options?: Record<string, string> },
  warn: (message: string) => void,
): Promise<void> {
  if (cidr === undefined) return;
  try {
    await ipam.requestAddress(poolId, ipOf(cidr), options);
  } catch (error) {
    if (ipamCode(error) !== 'ErrIPAlreadyAllocated') warn(`replay address ${cidr}: ${String(error)}`);
  }
}
