// Test components for the driver runtime, built from jco's dummy of our world (every export
// traps) by rewriting a few function bodies in its WAT. Used until the SDK can build drivers.
// One "probe" component plays the well-behaved driver and, on specific calls, the bad ones:
//   network-free → traps; discover-delete → loops forever; discover-new → grows memory
//   without end; decode-table-entry with value [n] → returns an n MiB name;
//   program-external-connectivity → link-del(host, endpoint-id);
//   revoke-external-connectivity → link-del(sandbox network-id, endpoint-id).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { componentEmbed, componentNew, parse, print } from '@bytecodealliance/jco';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** All wit/*.wit under one package line (jco's API takes WIT source text). */
export function witSource(): string {
  const dir = join(root, 'wit');
  const bodies = readdirSync(dir)
    .filter((file) => file.endsWith('.wit'))
    .sort()
    .map((file) => readFileSync(join(dir, file), 'utf8').replace(/^package [^;]+;$/m, ''));
  return `package wasmnet:driver@0.1.0;\n${bodies.join('\n')}`;
}

/** jco's dummy component of a world: valid, but every export traps. */
export async function dummyComponent(world: 'network-driver' | 'ipam-driver'): Promise<Uint8Array> {
  return componentNew(await componentEmbed({ dummy: true, witSource: witSource(), world }));
}

/** A core module that is not a component. */
export async function coreModule(): Promise<Uint8Array> {
  return parse('(module (func (export "f")))');
}

export interface ProbeOptions {
  /** Names registered in init, one handle each (1, 2, ...). */
  names: string[];
  /** Changes the bytes (a new version) without changing behaviour. */
  version?: number;
}

const DRIVER = 'cm32p2|wasmnet:driver/driver@0.1|';
const NAMES_AT = 16;
const NAME_SLOT = 64;
const OK = 1024;

/** cabi_realloc: a bump allocator that grows memory as needed. */
const REALLOC = `(local i32)
    global.get $bump i32.const 7 i32.add i32.const -8 i32.and local.tee 4
    local.get 3 i32.add global.set $bump
    (block $fits (loop $grow
      (br_if $fits (i32.le_u (global.get $bump) (i32.shl (memory.size) (i32.const 16))))
      (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))
      (br $grow)))
    local.get 4`;

function bodies(options: ProbeOptions): Record<string, string> {
  const register = options.names
    .map(
      (_, i) => `
    i32.const ${NAMES_AT + i * NAME_SLOT} i32.const ${Buffer.byteLength(options.names[i]!)} i32.const ${i + 1}
    i32.const 0 i32.const 0 i32.const 2 i32.const 256 call 22
    i32.const 256 i32.load8_u if i32.const 256 return end`,
    )
    .join('');
  const typeCases = options.names
    .map(
      (name, i) => `
    local.get 0 i32.const ${i + 1} i32.eq if
      i32.const 512 i32.const ${NAMES_AT + i * NAME_SLOT} i32.store
      i32.const 516 i32.const ${Buffer.byteLength(name)} i32.store
    end`,
    )
    .join('');
  return {
    'cm32p2|wasmnet:driver/plugin@0.1|init': `${register}\n    i32.const ${OK}`,
    [`${DRIVER}type`]: `${typeCases}\n    i32.const 512`,
    [`${DRIVER}network-allocate`]: `i32.const ${OK}`,
    [`${DRIVER}create-network`]: 'local.get 1 local.get 2 local.get 1 local.get 2 i32.const 768 call 2 i32.const 768',
    [`${DRIVER}delete-network`]: `i32.const ${OK}`,
    [`${DRIVER}create-endpoint`]: 'local.get 5 i32.const 1200 i32.const 17 i32.const 1300 call 24 i32.const 1300',
    [`${DRIVER}delete-endpoint`]: `i32.const ${OK}`,
    // Returns [(network-id, store[network-id])] when the store has it, else [].
    [`${DRIVER}endpoint-oper-info`]: `
    local.get 1 local.get 2 i32.const 1400 call 1
    i32.const 1400 i32.load8_u i32.eqz if i32.const ${OK} return end
    i32.const 1500 local.get 1 i32.store
    i32.const 1504 local.get 2 i32.store
    i32.const 1508 i32.const 1404 i32.load i32.store
    i32.const 1512 i32.const 1408 i32.load i32.store
    i32.const 1600 i32.const 0 i32.store8
    i32.const 1604 i32.const 1500 i32.store
    i32.const 1608 i32.const 1 i32.store
    i32.const 1600`,
    [`${DRIVER}join`]: 'local.get 7 i32.const 1240 i32.const 8 i32.const 1300 call 31 i32.const 1300',
    [`${DRIVER}leave`]: `i32.const ${OK}`,
    [`${DRIVER}program-external-connectivity`]:
      'i32.const 0 i32.const 0 i32.const 0 local.get 3 local.get 4 i32.const 1300 call 6 i32.const 1300',
    [`${DRIVER}revoke-external-connectivity`]:
      'i32.const 1 local.get 1 local.get 2 local.get 3 local.get 4 i32.const 1300 call 6 i32.const 1300',
    [`${DRIVER}event-notify`]: 'nop',
    [`${DRIVER}decode-table-entry`]: `
    local.get 6 i32.eqz if
      i32.const 1100 local.get 1 i32.store i32.const 1104 local.get 2 i32.store
    else
      i32.const 1104 local.get 5 i32.load8_u i32.const 20 i32.shl i32.store
      i32.const 1104 i32.load i32.const 16 i32.shr_u memory.grow drop
      i32.const 1100 i32.const 0 i32.store
    end
    i32.const 1108 i32.const 0 i32.store i32.const 1112 i32.const 0 i32.store
    i32.const 1100`,
    [`${DRIVER}discover-new`]: `
    (block $full (loop $more
      (br_if $full (i32.eq (memory.grow (i32.const 16)) (i32.const -1)))
      (br $more)))
    unreachable`,
    [`${DRIVER}discover-delete`]: '(loop $forever (br $forever)) unreachable',
    cm32p2_realloc: REALLOC,
  };
}

/** Builds the probe component. */
export function probeComponent(options: ProbeOptions): Promise<Uint8Array> {
  const data = options.names.map((name, i) => `(data (i32.const ${NAMES_AT + i * NAME_SLOT}) "${name}")`);
  data.push('(data (i32.const 1200) "02:42:ac:11:00:02")', '(data (i32.const 1240) "10.0.0.1")');
  return rewriteDummy('network-driver', bodies(options), data, options.version ?? 0);
}

/** An IPAM probe registering `name`: default address spaces "local"/"global"; release-pool
 * answers pool-not-found with the pool id as message; release-address is ok. */
export function ipamProbeComponent(name: string): Promise<Uint8Array> {
  const IPAM = 'cm32p2|wasmnet:driver/ipam@0.1|';
  return rewriteDummy(
    'ipam-driver',
    {
      'cm32p2|wasmnet:driver/plugin@0.1|init': `i32.const ${NAMES_AT} i32.const ${Buffer.byteLength(name)} i32.const 1
    i32.const 0 i32.const 1 i32.const 256 call 5
    i32.const 256 i32.load8_u if i32.const 256 return end
    i32.const ${OK}`,
      [`${IPAM}get-default-address-spaces`]: `
    i32.const 1104 i32.const 1200 i32.store i32.const 1108 i32.const 5 i32.store
    i32.const 1112 i32.const 1210 i32.store i32.const 1116 i32.const 6 i32.store
    i32.const 1100`,
      [`${IPAM}release-pool`]: `
    i32.const 1300 i32.const 1 i32.store8 i32.const 1304 i32.const 3 i32.store8
    i32.const 1308 local.get 1 i32.store i32.const 1312 local.get 2 i32.store
    i32.const 1300`,
      [`${IPAM}release-address`]: `i32.const ${OK}`,
      cm32p2_realloc: REALLOC,
    },
    [`(data (i32.const ${NAMES_AT}) "${name}")`, '(data (i32.const 1200) "local")', '(data (i32.const 1210) "global")'],
    0,
  );
}

/** jco's dummy of `world` with some function bodies replaced, one page of memory and `data`. */
async function rewriteDummy(
  world: 'network-driver' | 'ipam-driver',
  replaced: Record<string, string>,
  data: string[],
  version: number,
): Promise<Uint8Array> {
  const source = witSource();
  let wat = await print(await componentEmbed({ dummy: true, witSource: source, world }));
  wat = wat.replace(/\(@custom[^\n]*\n/g, '');
  wat = wat.replace(
    /\(memory \(;0;\) 0\)/,
    `(memory (;0;) 1)
  (global $bump (mut i32) (i32.const 8192))
  (global $version i32 (i32.const ${version}))
  ${data.join('\n  ')}`,
  );
  for (const [name, body] of Object.entries(replaced)) {
    const exported = new RegExp(`\\(export "${name.replace(/[|.]/g, '\\$&')}" \\(func (\\d+)\\)\\)`).exec(wat);
    if (exported === null) throw new Error(`dummy has no export ${name}`);
    const func = new RegExp(`(\\(func \\(;${exported[1]};\\) [^\\n]*)\\n\\s*unreachable\\n\\s*\\)`);
    if (!func.test(wat)) throw new Error(`cannot find the body of ${name}`);
    wat = wat.replace(func, (_all, header: string) => `${header}\n    ${body}\n  )`);
  }
  const core = await parse(wat);
  return componentNew(await componentEmbed({ binary: core, witSource: source, world }));
}
