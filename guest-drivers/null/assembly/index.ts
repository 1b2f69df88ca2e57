// libnetwork's `null` driver: a network with no connectivity. The sandbox keeps only `lo`.
// As in libnetwork, there is one instance of the null network per host.
import { Capability, ExternalConnectivity, Scope, SingleNetworkDriver, registerDriver } from '@wasmnet/sdk';

registerDriver(
  'null',
  new SingleNetworkDriver('null'),
  new Capability(Scope.Local, Scope.Local, ExternalConnectivity.None),
);
