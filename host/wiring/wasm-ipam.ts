// An IPAM driver component (the WIT `ipam` interface, behind the driver runtime) as the
// controller's Ipam (ipam/'s ipamapi): records and options in ipamapi's shapes, and the
// component's `ipam-error` codes as the IpamError codes the controller already maps.
import {
  IpamError,
  type AddressResponse,
  type AddressSpaces,
  type Capabilities,
  type Ipam,
  type IpamErrorCode,
  type PoolRequest,
  type PoolResponse,
} from '../../ipam/index.js';
import { DriverError, type Ipam as WitIpam, type IpamCapability } from '../drivers/index.js';

/** The WIT `ipam-error-code` cases and ipamapi's names for them (`internal` has none). */
const IPAM_CODES: Record<string, IpamErrorCode> = {
  'invalid-address-space': 'ErrInvalidAddressSpace',
  'invalid-pool': 'ErrInvalidPool',
  'invalid-sub-pool': 'ErrInvalidSubPool',
  'pool-not-found': 'ErrPoolNotFound',
  'pool-overlap': 'ErrPoolOverlap',
  'no-more-subnets': 'ErrNoMoreSubnets',
  'no-available-ips': 'ErrNoAvailableIPs',
  'ip-already-allocated': 'ErrIPAlreadyAllocated',
  'ip-out-of-range': 'ErrIPOutOfRange',
  'bad-pool': 'ErrBadPool',
};

export class WasmIpam implements Ipam {
  constructor(
    private readonly driver: WitIpam,
    private readonly capability: IpamCapability,
  ) {}

  async getDefaultAddressSpaces(): Promise<AddressSpaces> {
    const spaces = await this.#call(() => this.driver.getDefaultAddressSpaces());
    return { localDefaultAddressSpace: spaces.localDefault, globalDefaultAddressSpace: spaces.globalDefault };
  }

  async requestPool(req: PoolRequest): Promise<PoolResponse> {
    const response = await this.#call(() =>
      this.driver.requestPool({
        addressSpace: req.addressSpace,
        ...(req.pool === undefined ? {} : { pool: req.pool }),
        ...(req.subPool === undefined ? {} : { subPool: req.subPool }),
        options: Object.entries(req.options ?? {}),
        exclude: req.exclude ?? [],
        v6: req.v6 ?? false,
      }),
    );
    return { poolId: response.poolId, pool: response.pool, data: Object.fromEntries(response.data) };
  }

  releasePool(poolId: string): Promise<void> {
    return this.#call(() => this.driver.releasePool(poolId));
  }

  async requestAddress(poolId: string, preferred?: string, options?: Record<string, string>): Promise<AddressResponse> {
    const response = await this.#call(() =>
      this.driver.requestAddress(poolId, preferred, Object.entries(options ?? {})),
    );
    return { address: response.address, data: Object.fromEntries(response.data) };
  }

  releaseAddress(poolId: string, address: string): Promise<void> {
    return this.#call(() => this.driver.releaseAddress(poolId, address));
  }

  capabilities(): Capabilities {
    return {
      requiresMacAddress: this.capability.requiresMacAddress,
      requiresRequestReplay: this.capability.requiresRequestReplay,
    };
  }

  async #call<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof DriverError) || error.ipamCode === undefined) throw error;
      const code = IPAM_CODES[error.ipamCode];
      if (code === undefined) throw error;
      // The runtime's message starts with the WIT code: IpamError puts ipamapi's name there instead.
      const prefix = `${error.ipamCode}: `;
      throw new IpamError(code, error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message);
    }
  }
}
