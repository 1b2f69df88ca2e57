// One Ipam over two: LocalDefault pools to the node's own IPAM, GlobalDefault pools to the
// cluster's (cluster mode). Pool ids name their address space, so every call finds its side.
import type { AddressResponse, AddressSpaces, Capabilities, Ipam, PoolRequest, PoolResponse } from '../api.js';
import { GLOBAL_DEFAULT, LOCAL_DEFAULT } from '../default-ipam.js';
import { spaceOf } from '../pool-request.js';

export class SplitIpam implements Ipam {
  constructor(
    private readonly local: Ipam,
    private readonly global: Ipam,
  ) {}

  async getDefaultAddressSpaces(): Promise<AddressSpaces> {
    return { localDefaultAddressSpace: LOCAL_DEFAULT, globalDefaultAddressSpace: GLOBAL_DEFAULT };
  }

  capabilities(): Capabilities {
    const [local, global] = [this.local.capabilities(), this.global.capabilities()];
    return {
      requiresMacAddress: local.requiresMacAddress || global.requiresMacAddress,
      requiresRequestReplay: local.requiresRequestReplay || global.requiresRequestReplay,
    };
  }

  requestPool(req: PoolRequest): Promise<PoolResponse> {
    return (req.addressSpace === GLOBAL_DEFAULT ? this.global : this.local).requestPool(req);
  }

  releasePool(poolId: string): Promise<void> {
    return this.side(poolId).releasePool(poolId);
  }

  requestAddress(poolId: string, preferred?: string, options?: Record<string, string>): Promise<AddressResponse> {
    return this.side(poolId).requestAddress(poolId, preferred, options);
  }

  releaseAddress(poolId: string, address: string): Promise<void> {
    return this.side(poolId).releaseAddress(poolId, address);
  }

  private side(poolId: string): Ipam {
    return spaceOf(poolId) === GLOBAL_DEFAULT ? this.global : this.local;
  }
}
