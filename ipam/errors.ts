// The error type every IPAM call throws, with libnetwork's ipamapi error names as codes.

export const IPAM_ERROR_CODES = [
  'ErrInvalidAddressSpace',
  'ErrInvalidPool',
  'ErrInvalidSubPool',
  'ErrPoolNotFound',
  'ErrPoolOverlap',
  'ErrNoMoreSubnets',
  'ErrNoAvailableIPs',
  'ErrIPAlreadyAllocated',
  'ErrIPOutOfRange',
  'ErrBadPool',
] as const;

export type IpamErrorCode = (typeof IPAM_ERROR_CODES)[number];

export class IpamError extends Error {
  readonly code: IpamErrorCode;

  constructor(code: IpamErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'IpamError';
    this.code = code;
  }
}
