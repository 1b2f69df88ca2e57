// libnetwork's `null` driver: a network with no connectivity. The sandbox keeps only `lo`.
// As in libnetwork, there is one instance of the null network per host.
import { Capability, Scope, registerDriver } from '@wasmnet/sdk';
import { SingleNetworkDriver } from './single';

registerDriver('null', new SingleNetworkDriver('null'), new Capability(Scope.Local, Scope.Local, false));
