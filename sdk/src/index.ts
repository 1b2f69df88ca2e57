// @wasmnet/sdk: build drivers, run them in-process against a mock host.
export { buildDriver, type BuildOptions, type BuildResult } from './build.js';
export { instantiateComponent, type ComponentImports } from './component.js';
export {
  MockHost,
  MockInterfaceInfo,
  MockInterfaceNameInfo,
  MockJoinInfo,
  MockNetworkInfo,
  type NetlinkCall,
  type Registration,
} from './mock-host.js';
export {
  errorOf,
  loadDriver,
  loadIpamDriver,
  type DriverExports,
  type IpamExports,
  type LoadedDriver,
  type LoadedIpamDriver,
} from './testing.js';
export {
  HostError,
  witError,
  type Capability,
  type IpamCapability,
  type LinkInfo,
  type Netns,
  type Options,
  type WitError,
} from './wit-values.js';
export { readWitSource, SDK_ROOT, SDK_WIT_DIR } from './wit/source.js';
