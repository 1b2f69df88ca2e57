// Driver and Ipam objects over a component: what the registry hands the controller.
// Each method forwards to `invoke` (the slot's serialized call, or a direct call during replay).
import type { Driver, Ipam } from './api.js';

export type Invoke = (method: string, args: unknown[]) => Promise<unknown>;

export function driverProxy(name: string, invoke: Invoke): Driver {
  const call =
    <T>(method: string) =>
    (...args: unknown[]) =>
      invoke(method, args) as Promise<T>;
  return {
    networkAllocate: call('networkAllocate'),
    networkFree: call('networkFree'),
    createNetwork: call('createNetwork'),
    deleteNetwork: call('deleteNetwork'),
    createEndpoint: call('createEndpoint'),
    deleteEndpoint: call('deleteEndpoint'),
    endpointOperInfo: call('endpointOperInfo'),
    join: call('join'),
    leave: call('leave'),
    programExternalConnectivity: call('programExternalConnectivity'),
    revokeExternalConnectivity: call('revokeExternalConnectivity'),
    eventNotify: call('eventNotify'),
    decodeTableEntry: call('decodeTableEntry'),
    discoverNew: call('discoverNew'),
    discoverDelete: call('discoverDelete'),
    type: () => name,
  };
}

export function ipamProxy(invoke: Invoke): Ipam {
  const call =
    <T>(method: string) =>
    (...args: unknown[]) =>
      invoke(method, args) as Promise<T>;
  return {
    getDefaultAddressSpaces: call('getDefaultAddressSpaces'),
    requestPool: call('requestPool'),
    releasePool: call('releasePool'),
    requestAddress: call('requestAddress'),
    releaseAddress: call('releaseAddress'),
  };
}
