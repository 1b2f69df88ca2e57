// Names of the WIT contract in wit/, as the host refers to them.
export const WIT_NAMESPACE = 'wasmnet:driver';
export const WIT_VERSION = '0.1.0';
export const WIT_PACKAGE = `${WIT_NAMESPACE}@${WIT_VERSION}`;

export const WORLDS = {
  networkDriver: 'network-driver',
  ipamDriver: 'ipam-driver',
} as const;
export type WorldName = (typeof WORLDS)[keyof typeof WORLDS];
