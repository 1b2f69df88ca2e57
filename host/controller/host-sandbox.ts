// The namespace of a sandbox created with `useDefaultSandbox` (libnetwork's default sandbox, for
// the `host` network): the host's own namespace, shared, never configured and never deleted.
import { ForbiddenError } from './errors.js';
import type { DefaultGateway, InterfaceConfig, SandboxNamespace } from './plumbing.js';

export class HostNamespace implements SandboxNamespace {
  constructor(readonly key: string) {}

  async addInterface(config: InterfaceConfig): Promise<void> {
    throw new ForbiddenError(
      `a driver asked for interface ${config.dstName} in the host's namespace: a host-network sandbox gets none`,
      'host-network',
    );
  }

  async removeInterface(): Promise<void> {}

  async hasInterface(): Promise<boolean> {
    return false;
  }

  /** The host's routes are never the controller's to change. */
  async setDefaultGateway(gateway: DefaultGateway | undefined): Promise<string[]> {
    if (gateway !== undefined)
      throw new ForbiddenError("a host-network sandbox cannot set the host's default route", 'host-network');
    return [];
  }

  async destroy(): Promise<void> {}
}
