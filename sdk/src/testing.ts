// What a driver's tests call: load the built component against a mock host and run `init`.
import { readFileSync } from 'node:fs';
import { instantiateComponent } from './component.js';
import { MockHost } from './mock-host.js';
import type { Options } from './wit-values.js';

/** The exported driver interface as jco presents it (errors are thrown as ComponentError). */
export interface DriverExports {
  networkAllocate(driver: number, networkId: string, options: Options, ipv4: unknown[], ipv6: unknown[]): Options;
  networkFree(driver: number, networkId: string): void;
  createNetwork(
    driver: number,
    networkId: string,
    options: Options,
    info: unknown,
    ipv4: unknown[],
    ipv6: unknown[],
  ): void;
  deleteNetwork(driver: number, networkId: string): void;
  createEndpoint(driver: number, networkId: string, endpointId: string, info: unknown, options: Options): void;
  deleteEndpoint(driver: number, networkId: string, endpointId: string): void;
  endpointOperInfo(driver: number, networkId: string, endpointId: string): Options;
  join(
    driver: number,
    networkId: string,
    endpointId: string,
    sandboxKey: string,
    info: unknown,
    options: Options,
  ): void;
  leave(driver: number, networkId: string, endpointId: string): void;
  programExternalConnectivity(driver: number, networkId: string, endpointId: string, options: Options): void;
  revokeExternalConnectivity(driver: number, networkId: string, endpointId: string): void;
  eventNotify(
    driver: number,
    event: string,
    networkId: string,
    tableName: string,
    key: string,
    value: Uint8Array,
  ): void;
  decodeTableEntry(
    driver: number,
    tableName: string,
    key: string,
    value: Uint8Array,
  ): { name: string; fields: Options };
  discoverNew(driver: number, discovery: unknown): void;
  discoverDelete(driver: number, discovery: unknown): void;
  type(driver: number): string;
}

export interface LoadedDriver {
  host: MockHost;
  driver: DriverExports;
  /** Handle of the network type `name`, as registered during init. */
  handle(name: string): number;
}

/** Instantiate a plugin component (a path or its bytes) against `host` and call its `init`. */
async function loadPlugin<T>(component: string | Uint8Array, host: MockHost): Promise<T> {
  const bytes = typeof component === 'string' ? readFileSync(component) : component;
  const exports = await instantiateComponent<T & { plugin: { init(): void } }>(bytes, host.imports());
  exports.plugin.init();
  return exports;
}

/** Instantiate a network-driver component and call its `init`. */
export async function loadDriver(
  component: string | Uint8Array,
  host: MockHost = new MockHost(),
): Promise<LoadedDriver> {
  const { driver } = await loadPlugin<{ driver: DriverExports }>(component, host);
  return { host, driver, handle: (name) => handleOf(host.drivers, name) };
}

/** The exported ipam interface as jco presents it. */
export interface IpamExports {
  getDefaultAddressSpaces(driver: number): { localDefault: string; globalDefault: string };
  requestPool(driver: number, request: unknown): { poolId: string; pool: string; data: Options };
  releasePool(driver: number, poolId: string): void;
  requestAddress(
    driver: number,
    poolId: string,
    preferred: string | undefined,
    options: Options,
  ): { address: string; data: Options };
  releaseAddress(driver: number, poolId: string, address: string): void;
}

export interface LoadedIpamDriver {
  host: MockHost;
  ipam: IpamExports;
  handle(name: string): number;
}

/** Instantiate an ipam-driver component and call its `init`. */
export async function loadIpamDriver(
  component: string | Uint8Array,
  host: MockHost = new MockHost(),
): Promise<LoadedIpamDriver> {
  const { ipam } = await loadPlugin<{ ipam: IpamExports }>(component, host);
  return { host, ipam, handle: (name) => handleOf(host.ipamDrivers, name) };
}

function handleOf(registrations: { name: string; handle: number }[], name: string): number {
  const registration = registrations.find((d) => d.name === name);
  if (registration === undefined) throw new Error(`no driver registered as ${name}`);
  return registration.handle;
}

/** The error payload of a call that failed (jco throws a ComponentError carrying it). */
export function errorOf(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    if (error !== null && typeof error === 'object' && 'payload' in error) return error.payload;
    throw error;
  }
  throw new Error('the call did not fail');
}
