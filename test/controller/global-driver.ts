// A global-scope test driver: TestBridgeDriver's plumbing, plus NetworkAllocate (a VNI per
// network, as overlay allocates one), NetworkFree and node discovery, each recorded.
import type { Discovery, Options } from '../../host/drivers/api.js';
import { Internal } from '../../host/drivers/index.js';
import type { DriverRegistry } from '../../host/drivers/index.js';
import { TestBridgeDriver } from './test-bridge-driver.js';

export const VNI_OPTION = 'com.docker.network.driver.overlay.vxlanid_list';

export class GlobalTestDriver extends TestBridgeDriver {
  readonly allocated: string[] = [];
  readonly freed: string[] = [];
  readonly discovered: Array<{ call: 'new' | 'delete'; address: string; bindAddress: string; self: boolean }> = [];
  failAllocate = false;
  #nextVni = 4096;

  override async networkAllocate(networkId: string): Promise<Options> {
    if (this.failAllocate) throw new Internal('injected networkAllocate failure');
    this.allocated.push(networkId);
    return [[VNI_OPTION, String(this.#nextVni++)]];
  }

  override async networkFree(networkId: string): Promise<void> {
    this.freed.push(networkId);
  }

  override async discoverNew(discovery: Discovery): Promise<void> {
    if (discovery.tag === 'node') this.discovered.push({ call: 'new', ...discovery.val });
  }

  override async discoverDelete(discovery: Discovery): Promise<void> {
    if (discovery.tag === 'node') this.discovered.push({ call: 'delete', ...discovery.val });
  }

  override type(): string {
    return 'globaltest';
  }

  /** Registers it as `globaltest`, global in data and connectivity. */
  register(registry: DriverRegistry): this {
    registry.registerDriver('globaltest', this, {
      dataScope: 'global',
      connectivityScope: 'global',
      externalConnectivity: 'none',
    });
    return this;
  }
}
