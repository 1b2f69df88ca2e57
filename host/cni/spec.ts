// The CNI spec's (1.0/1.1) vocabulary: versions, well-known error codes, the error result, the
// environment and the network configuration wasmnet reads.
import { SchemaError, any, array, nullable, object, record, str, type Infer } from '../api/schema.js';

export const SUPPORTED_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export const LATEST = '1.1.0';

export const CODES = {
  incompatibleVersion: 1,
  unsupportedField: 2,
  unknownContainer: 3,
  invalidEnvironment: 4,
  ioFailure: 5,
  decodeFailure: 6,
  invalidConfig: 7,
  tryAgainLater: 11,
  pluginNotAvailable: 50,
  /** Plugin-specific (100+): the daemon refused the operation. */
  daemonRefused: 100,
} as const;

export class CniError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly details?: string,
  ) {
    super(message);
    this.name = 'CniError';
  }

  /** The spec's error result. */
  toResult(cniVersion: string): object {
    return {
      cniVersion,
      code: this.code,
      msg: this.message,
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

/** `a >= b` for dotted versions. */
export function atLeast(a: string, b: string): boolean {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i += 1) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) > (pb[i] ?? 0);
  return true;
}

// Runtimes add keys (runtimeConfig, args, capabilities, dns, ...): unknown keys are kept aside,
// known ones are type-checked.
const attachment = object({ containerID: str({ min: 1 }), ifname: str({ min: 1 }) }, true);
const configSchema = object(
  {
    cniVersion: str({ min: 1, max: 16 }),
    name: str({ min: 1, max: 255, pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]*$/ }),
    type: str({ min: 1 }),
    /** The daemon's API socket. */
    socket: nullable(str({ min: 1, pattern: /^\// })),
    /** The wasmnet network driver that serves the network (created on the first ADD). */
    driver: nullable(str({ min: 1, max: 255 })),
    subnet: nullable(str({ min: 1, max: 64 })),
    gateway: nullable(str({ min: 1, max: 64 })),
    options: nullable(record(str())),
    prevResult: nullable(any()),
    'cni.dev/valid-attachments': nullable(array(attachment, 100000)),
  },
  true,
);

export type NetConf = Infer<typeof configSchema>;

export function parseConfig(stdin: string): NetConf {
  let json: unknown;
  try {
    json = JSON.parse(stdin);
  } catch (error) {
    throw new CniError(CODES.decodeFailure, 'cannot decode the network configuration', (error as Error).message);
  }
  let conf: NetConf;
  try {
    conf = configSchema.parse(json);
  } catch (error) {
    if (error instanceof SchemaError)
      throw new CniError(CODES.invalidConfig, 'invalid network configuration', error.message);
    throw error;
  }
  if (!(SUPPORTED_VERSIONS as readonly string[]).includes(conf.cniVersion)) {
    throw new CniError(
      CODES.incompatibleVersion,
      `incompatible CNI version ${conf.cniVersion}`,
      `supported: ${SUPPORTED_VERSIONS.join(', ')}`,
    );
  }
  return conf;
}

export interface CniEnv {
  command: string;
  containerId?: string;
  netns?: string;
  ifname?: string;
  args: Record<string, string>;
}

const NEEDS: Record<string, Array<'CNI_CONTAINERID' | 'CNI_NETNS' | 'CNI_IFNAME'>> = {
  ADD: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  CHECK: ['CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME'],
  DEL: ['CNI_CONTAINERID', 'CNI_IFNAME'],
  VERSION: [],
  STATUS: [],
  GC: [],
};

/** Reads the CNI_* variables; a missing one, or an unknown CNI_ARGS key without IgnoreUnknown, is code 4. */
export function parseEnv(env: Record<string, string | undefined>): CniEnv {
  const command = env.CNI_COMMAND ?? '';
  const needs = NEEDS[command];
  if (needs === undefined)
    throw new CniError(CODES.invalidEnvironment, `unknown CNI_COMMAND ${JSON.stringify(command)}`);
  for (const name of needs)
    if (!env[name]) throw new CniError(CODES.invalidEnvironment, `${name} is required for ${command}`);
  const ifname = env.CNI_IFNAME;
  if (ifname && (ifname.length > 15 || !/^[A-Za-z0-9_.-]+$/.test(ifname) || ifname === '.' || ifname === '..')) {
    throw new CniError(CODES.invalidEnvironment, `invalid CNI_IFNAME ${JSON.stringify(ifname)}`);
  }
  const args: Record<string, string> = {};
  for (const pair of (env.CNI_ARGS ?? '').split(';')) {
    if (pair === '') continue;
    const at = pair.indexOf('=');
    if (at <= 0) throw new CniError(CODES.invalidEnvironment, `invalid CNI_ARGS pair ${JSON.stringify(pair)}`);
    args[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const ignoreUnknown = ['1', 'true'].includes((args.IgnoreUnknown ?? '').toLowerCase());
  for (const key of Object.keys(args)) {
    if (key !== 'IgnoreUnknown' && !ignoreUnknown)
      throw new CniError(CODES.invalidEnvironment, `unknown CNI_ARGS key ${key} (set IgnoreUnknown=1 to ignore it)`);
  }
  return {
    command,
    ...(env.CNI_CONTAINERID ? { containerId: env.CNI_CONTAINERID } : {}),
    ...(env.CNI_NETNS ? { netns: env.CNI_NETNS } : {}),
    ...(ifname ? { ifname } : {}),
    args,
  };
}
