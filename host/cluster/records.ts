// What other nodes wrote to etcd is input like any other: parsed and checked before it reaches
// the controller. A bad record is refused with a clear error (the caller warns and goes on).
import { isIP } from 'node:net';
import type { ClusterNode, GlobalNetworkSpec } from '../controller/index.js';
import { InvalidParameterError } from '../controller/errors.js';
import { excerpt } from '../excerpt.js';

/** Node records and specs are small; anything bigger is not ours. */
const MAX_RECORD_BYTES = 64 * 1024;

export function parseNode(key: string, value: Buffer): ClusterNode {
  const record = parseJson(`node record ${key}`, value) as Partial<ClusterNode>;
  if (record.name !== key || !isAddress(record.address) || !isAddress(record.bindAddress))
    throw new InvalidParameterError(`node record ${excerpt(key)}: not a node (${excerpt(value.toString())})`);
  return { name: record.name, address: record.address, bindAddress: record.bindAddress };
}

export function parseSpec(key: string, value: Buffer): GlobalNetworkSpec {
  const spec = parseJson(`global network ${key}`, value) as Partial<GlobalNetworkSpec>;
  const strings = [spec.id, spec.name, spec.type, spec.ipamDriver];
  const objects = [spec.labels, spec.driverOptions, spec.ipamOptions];
  if (
    spec.id !== key ||
    strings.some((field) => typeof field !== 'string') ||
    objects.some((field) => !isStringMap(field)) ||
    typeof spec.enableIPv6 !== 'boolean' ||
    typeof spec.internal !== 'boolean' ||
    !Array.isArray(spec.ipv4) ||
    !Array.isArray(spec.ipv6)
  )
    throw new InvalidParameterError(`global network ${excerpt(key)}: not a network spec`);
  return spec as GlobalNetworkSpec;
}

function parseJson(what: string, value: Buffer): unknown {
  if (value.length > MAX_RECORD_BYTES) throw new InvalidParameterError(`${excerpt(what)}: ${value.length} bytes`);
  try {
    return JSON.parse(value.toString());
  } catch {
    throw new InvalidParameterError(`${excerpt(what)}: not JSON (${excerpt(value.toString())})`);
  }
}

function isAddress(value: unknown): value is string {
  return typeof value === 'string' && isIP(value) !== 0;
}

function isStringMap(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((field) => typeof field === 'string')
  );
}
