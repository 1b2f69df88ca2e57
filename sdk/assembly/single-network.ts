// A driver that allows one network and does no plumbing, as libnetwork's null and host drivers
// are. (The controller puts a host-network sandbox in the host's namespace; the driver has
// nothing to create.)
import { IpamData, InterfaceInfo, JoinInfo, NetworkInfo, Options, Store, WitError } from './generated/bindings';
import { Driver } from './driver';
import { forbidden } from './errors';
import { storeGetString, storeSetString } from './store';
import { Result } from './wit-rt';

export class SingleNetworkDriver extends Driver {
  constructor(private readonly networkType: string) {
    super();
  }

  networkAllocate(
    networkId: string,
    options: Options,
    ipv4Data: IpamData[],
    ipv6Data: IpamData[],
  ): Result<Options, WitError> {
    return Result.ok<Options, WitError>([]);
  }
  networkFree(networkId: string): WitError | null {
    return null;
  }
  createNetwork(
    networkId: string,
    options: Options,
    info: NetworkInfo,
    ipv4Data: IpamData[],
    ipv6Data: IpamData[],
  ): WitError | null {
    const existing = storeGetString('network');
    if (existing !== null && existing != networkId) {
      return forbidden(`only one instance of "${this.networkType}" network is allowed`);
    }
    return storeSetString('network', networkId);
  }
  deleteNetwork(networkId: string): WitError | null {
    return Store.delete_('network');
  }
  createEndpoint(networkId: string, endpointId: string, iface: InterfaceInfo, options: Options): WitError | null {
    return null;
  }
  deleteEndpoint(networkId: string, endpointId: string): WitError | null {
    return null;
  }
  endpointOperInfo(networkId: string, endpointId: string): Result<Options, WitError> {
    return Result.ok<Options, WitError>([]);
  }
  join(networkId: string, endpointId: string, sandboxKey: string, info: JoinInfo, options: Options): WitError | null {
    return null;
  }
  leave(networkId: string, endpointId: string): WitError | null {
    return null;
  }
  programExternalConnectivity(networkId: string, endpointId: string, options: Options): WitError | null {
    return null;
  }
  revokeExternalConnectivity(networkId: string, endpointId: string): WitError | null {
    return null;
  }
}
