// Every world of the contract builds into a component (from a dummy core module) and
// transpiles with jco; the component's interface is exactly the contract's, so a WIT change
// that breaks the driver API fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { componentEmbed, componentNew, componentWit, transpile } from '@bytecodealliance/jco';
import { readWitSource } from '../../host/wit/source.js';
import { WIT_PACKAGE } from '../../host/wit/contract.js';
import { HOST_IMPORT_FUNCTIONS } from '../../host/wit/host-imports.js';

const witSource = readWitSource();
const versioned = (name: string): string => WIT_PACKAGE.replace('@', `/${name}@`);

/** The interfaces each world imports and exports. */
const WORLD_INTERFACES = {
  'network-driver': {
    imports: ['log', 'types', 'store', 'netlink', 'firewall', 'driver-callback', 'resources'],
    exports: ['plugin', 'driver'],
  },
  'ipam-driver': {
    imports: ['log', 'types', 'store', 'ipam-callback'],
    exports: ['plugin', 'ipam'],
  },
} as const;

/** Function names each interface declares, as jco's bindings spell them. */
const INTERFACE_FUNCTIONS: Record<string, readonly string[]> = {
  // driverapi.Driver + discoverapi.Discover
  driver: [
    'networkAllocate',
    'networkFree',
    'createNetwork',
    'deleteNetwork',
    'createEndpoint',
    'deleteEndpoint',
    'endpointOperInfo',
    'join',
    'leave',
    'programExternalConnectivity',
    'revokeExternalConnectivity',
    'eventNotify',
    'decodeTableEntry',
    'discoverNew',
    'discoverDelete',
    'type',
  ],
  plugin: ['init'],
  // ipamapi.Ipam
  ipam: ['getDefaultAddressSpaces', 'requestPool', 'releasePool', 'requestAddress', 'releaseAddress'],
  // The host's imports, as the build generates them from wit/ for the host and the SDK.
  ...HOST_IMPORT_FUNCTIONS,
};

/** Methods of the host resources lent to driver calls. */
const RESOURCE_METHODS: Record<string, string[]> = {
  NetworkInfo: ['tableEventRegister'],
  InterfaceInfo: ['setMacAddress', 'setIpAddress', 'macAddress', 'address', 'addressIpv6'],
  InterfaceNameInfo: ['setNames'],
  JoinInfo: [
    'interfaceName',
    'setGateway',
    'setGatewayIpv6',
    'addStaticRoute',
    'disableGatewayService',
    'addTableEntry',
  ],
};

async function transpiledWorld(world: string) {
  const component = await componentNew(await componentEmbed({ dummy: true, witSource, world }));
  const transpiled = await transpile(component, { name: world, instantiation: 'sync' });
  const typesOf = (name: string): string => {
    const file = transpiled.files[`interfaces/wasmnet-driver-${name}.d.ts`];
    assert.ok(file, `bindings for ${name}`);
    return new TextDecoder().decode(file);
  };
  return { component, transpiled, typesOf };
}

/** Exported functions; jco renames ones that are JS keywords (`export { _delete as delete }`). */
const functionsIn = (dts: string): string[] => [
  ...[...dts.matchAll(/^export function (\w+)\(/gm)].map((match) => match[1] ?? ''),
  ...[...dts.matchAll(/^export \{ _\w+ as (\w+) \};/gm)].map((match) => match[1] ?? ''),
];

const methodsOf = (dts: string, resource: string): string[] => {
  const body = new RegExp(`export class ${resource} \\{([\\s\\S]*?)\\n\\}`).exec(dts)?.[1] ?? '';
  return [...body.matchAll(/^ {2}(\w+)\(/gm)].map((match) => match[1] ?? '').filter((name) => name !== 'constructor');
};

for (const [world, { imports, exports }] of Object.entries(WORLD_INTERFACES)) {
  test(`${world}: a component of the world has exactly its imports and exports`, async () => {
    const { component } = await transpiledWorld(world);
    const wit = await componentWit(component);
    const declared = [...wit.matchAll(/^\s+(import|export) wasmnet:driver\/([a-z-]+)@0\.1\.0;/gm)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    const expected = [...imports.map((name) => `import ${name}`), ...exports.map((name) => `export ${name}`)];
    assert.deepEqual(declared.sort(), expected.sort());
  });

  test(`${world}: jco transpiles it for synchronous instantiation, with every function of the contract`, async () => {
    const { transpiled, typesOf } = await transpiledWorld(world);
    assert.ok(transpiled.files[`${world}.js`], 'the JS glue is emitted');
    const exported = transpiled.exports.map(([name]) => name);
    for (const name of exports) assert.ok(exported.includes(versioned(name)), `exports ${name}`);
    for (const name of [...imports, ...exports]) {
      const expected = INTERFACE_FUNCTIONS[name];
      if (expected !== undefined) assert.deepEqual(functionsIn(typesOf(name)).sort(), [...expected].sort(), name);
    }
  });
}

test('the host resources (NetworkInfo, InterfaceInfo, InterfaceNameInfo, JoinInfo) have every method', async () => {
  const { typesOf } = await transpiledWorld('network-driver');
  const resources = typesOf('resources');
  for (const [resource, methods] of Object.entries(RESOURCE_METHODS)) {
    assert.deepEqual(methodsOf(resources, resource).sort(), [...methods].sort(), resource);
  }
});

test('driver calls borrow the host resources', async () => {
  const { typesOf } = await transpiledWorld('network-driver');
  const driver = typesOf('driver');
  assert.match(driver, /export function createNetwork\([^)]*networkInfo: NetworkInfo/);
  assert.match(driver, /export function createEndpoint\([^)]*interfaceInfo: InterfaceInfo/);
  assert.match(driver, /export function join\([^)]*joinInfo: JoinInfo/);
});

test('the capability types mirror driverapi.Capability and ipamapi.Capability', async () => {
  const network = (await transpiledWorld('network-driver')).typesOf('types');
  assert.match(
    network,
    /export interface Capability \{\s+dataScope: Scope,\s+connectivityScope: Scope,\s+externalConnectivity: ExternalConnectivity,\s+\}/,
  );
  assert.match(network, /export type Scope = 'local' \| 'global';/);
  assert.match(network, /export type ExternalConnectivity = 'none' \| 'ports' \| 'always';/);
  const ipam = (await transpiledWorld('ipam-driver')).typesOf('ipam-callback');
  assert.match(
    ipam,
    /export interface IpamCapability \{\s+requiresMacAddress: boolean,\s+requiresRequestReplay: boolean,\s+\}/,
  );
});
