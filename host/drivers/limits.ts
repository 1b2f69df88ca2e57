// The per-driver limits an operator may set (`wasmnet daemon --driver-limits FILE`): each has a
// default for every driver and may be overridden per owner (the component's file name).
import { InvalidParameter } from './errors.js';
import type { RuntimeOptions } from './runtime.js';

export type DriverLimits = Pick<
  RuntimeOptions,
  | 'memoryMaxBytes'
  | 'memoryMaxBytesByOwner'
  | 'maxComponentBytes'
  | 'storeQuota'
  | 'storeQuotaByOwner'
  | 'logLimits'
  | 'logLimitsByOwner'
  | 'maxLinks'
  | 'maxLinksByOwner'
  | 'deadlineMs'
>;

const NUMBERS = new Set(['memoryMaxBytes', 'maxComponentBytes', 'maxLinks', 'deadlineMs']);
const NUMBERS_BY_OWNER = new Set(['memoryMaxBytesByOwner', 'maxLinksByOwner']);
const RECORDS: Record<string, string[]> = {
  storeQuota: ['valueBytes', 'callBytes', 'callKeys', 'totalBytes', 'totalKeys'],
  logLimits: ['lineBytes', 'linesPerSecond', 'burst'],
};
const RECORDS_BY_OWNER: Record<string, string> = { storeQuotaByOwner: 'storeQuota', logLimitsByOwner: 'logLimits' };

/** Checks a parsed limits document: known keys only, positive integers everywhere. */
export function parseDriverLimits(value: unknown): DriverLimits {
  const object = (what: string, item: unknown): Record<string, unknown> => {
    if (item === null || typeof item !== 'object' || Array.isArray(item))
      throw new InvalidParameter(`${what} must be an object`);
    return item as Record<string, unknown>;
  };
  const count = (what: string, item: unknown): void => {
    if (!Number.isSafeInteger(item) || (item as number) <= 0)
      throw new InvalidParameter(`${what} must be a positive integer`);
  };
  const record = (what: string, item: unknown, keys: string[]): void => {
    for (const [key, field] of Object.entries(object(what, item))) {
      if (!keys.includes(key)) throw new InvalidParameter(`${what}.${key} is not one of ${keys.join(', ')}`);
      count(`${what}.${key}`, field);
    }
  };
  for (const [key, item] of Object.entries(object('driver limits', value))) {
    if (NUMBERS.has(key)) count(key, item);
    else if (NUMBERS_BY_OWNER.has(key))
      for (const [owner, field] of Object.entries(object(key, item))) count(`${key}.${owner}`, field);
    else if (key in RECORDS) record(key, item, RECORDS[key]!);
    else if (key in RECORDS_BY_OWNER)
      for (const [owner, field] of Object.entries(object(key, item)))
        record(`${key}.${owner}`, field, RECORDS[RECORDS_BY_OWNER[key]!]!);
    else throw new InvalidParameter(`unknown driver limit ${key}`);
  }
  return value as DriverLimits;
}
