// libnetwork's `host` driver: containers share the host's network namespace. The controller
// gives a host-network sandbox the host's namespace; the driver creates nothing.
import { Capability, ExternalConnectivity, Scope, SingleNetworkDriver, registerDriver } from '@wasmnet/sdk';

registerDriver(
  'host',
  new SingleNetworkDriver('host'),
  new Capability(Scope.Local, Scope.Local, ExternalConnectivity.None),
);
