// Is this .wasm a component of one of our worlds at a compatible version? Reads the
// component's own WIT (jco's componentWit) and compares its imports and exports with the world;
// after transpiling, checks the signatures of its core module against the world's.
import { componentEmbed, componentNew, componentWit } from '@bytecodealliance/jco';
import { boundedText } from '../excerpt.js';
import { WIT_NAMESPACE, WIT_VERSION, WORLDS, type WorldName } from '../wit/contract.js';
import { readWitSource } from '../wit/source.js';
import { InvalidParameter } from './errors.js';
import { wasm } from './wasm.js';

const WORLD_SHAPES: Record<WorldName, { exports: string[]; imports: string[] }> = {
  [WORLDS.networkDriver]: {
    exports: ['plugin', 'driver'],
    imports: ['log', 'store', 'netlink', 'firewall', 'driver-callback', 'resources', 'types'],
  },
  [WORLDS.ipamDriver]: {
    exports: ['plugin', 'ipam'],
    imports: ['log', 'store', 'ipam-callback', 'types'],
  },
};

const COMPONENT_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

/** Checks the component and returns the world it implements; InvalidParameter otherwise. */
export async function checkComponent(bytes: Uint8Array): Promise<WorldName> {
  if (!COMPONENT_HEADER.slice(0, 4).every((byte, i) => bytes[i] === byte)) {
    throw new InvalidParameter('not a WebAssembly file (bad magic number)');
  }
  if (bytes[4] === 0x01 && bytes[6] === 0x00) {
    throw new InvalidParameter('a core WebAssembly module, not a component: build it with componentNew (the SDK does)');
  }
  if (!COMPONENT_HEADER.every((byte, i) => bytes[i] === byte)) {
    throw new InvalidParameter('unsupported WebAssembly component encoding version');
  }
  let wit: string;
  try {
    wit = await componentWit(bytes);
  } catch (error) {
    throw new InvalidParameter(`malformed component: ${error instanceof Error ? error.message : String(error)}`);
  }
  return matchWorld(parseWorld(wit));
}

interface WorldUse {
  imports: Map<string, string>;
  exports: Map<string, string>;
}

function parseWorld(wit: string): WorldUse {
  const use: WorldUse = { imports: new Map(), exports: new Map() };
  for (const match of wit.matchAll(/^\s*(import|export)\s+([^;{]+?)\s*;/gm)) {
    const [, direction, name] = match as unknown as [string, 'import' | 'export', string];
    const [path, version = ''] = name.split('@') as [string, string?];
    use[direction === 'import' ? 'imports' : 'exports'].set(path, version);
  }
  return use;
}

function matchWorld(use: WorldUse): WorldName {
  const exported = [...use.exports.keys()];
  const world = (Object.keys(WORLD_SHAPES) as WorldName[]).find((name) =>
    WORLD_SHAPES[name].exports.every((face) => use.exports.has(`${WIT_NAMESPACE}/${face}`)),
  );
  if (world === undefined) {
    const missing = Object.entries(WORLD_SHAPES).map(
      ([name, shape]) =>
        `${name} needs ${shape.exports
          .filter((face) => !use.exports.has(`${WIT_NAMESPACE}/${face}`))
          .map((face) => `${WIT_NAMESPACE}/${face}`)
          .join(', ')}`,
    );
    throw new InvalidParameter(
      `component exports [${exported.join(', ')}] match no wasmnet world: ${missing.join('; ')}`,
    );
  }
  const shape = WORLD_SHAPES[world];
  const allowed = new Set([...shape.imports, ...shape.exports].map((face) => `${WIT_NAMESPACE}/${face}`));
  const foreign = [...use.imports.keys()].filter((name) => !allowed.has(name));
  if (foreign.length > 0) {
    throw new InvalidParameter(`component imports ${foreign.join(', ')}, which the ${world} world does not provide`);
  }
  for (const [name, version] of [...use.imports, ...use.exports]) {
    if (name.startsWith(`${WIT_NAMESPACE}/`) && !compatible(version)) {
      throw new InvalidParameter(
        `component uses ${name}@${version}; this host implements ${WIT_NAMESPACE}@${WIT_VERSION}`,
      );
    }
  }
  return world;
}

/** Semver compatibility: same major, and for 0.x the same minor. */
function compatible(version: string): boolean {
  const [major, minor] = version.split('.');
  const [hostMajor, hostMinor] = WIT_VERSION.split('.');
  return major === hostMajor && (hostMajor !== '0' || minor === hostMinor);
}

/**
 * The names of a component's imports and exports can match the world while their signatures do
 * not: such a component used to pass the check and trap in `init`. Its main core module (the one
 * exporting the plugin's functions, named by the canonical ABI) is embedded again with this
 * host's WIT: wit-component then checks every import and export against the world's flattened
 * signatures. Two WIT types that flatten alike (u32 and s32) cannot be told apart this way.
 */
export async function checkSignatures(coreModules: Record<string, Uint8Array>, world: WorldName): Promise<void> {
  const main = Object.values(coreModules).find((bytes) =>
    wasm.Module.exports(new wasm.Module(bytes)).some(({ name }) => name.includes(`${WIT_NAMESPACE}/plugin@`)),
  );
  if (main === undefined) throw new InvalidParameter(`component has no core module exporting ${WIT_NAMESPACE}/plugin`);
  try {
    await componentNew(await componentEmbed({ binary: main, witSource: readWitSource(), world }));
  } catch (error) {
    const lines = (error instanceof Error ? error.message : String(error)).split('\n').map((line) => line.trim());
    const why = lines.find((line) => /mismatch|missing|not found|does not/i.test(line)) ?? lines.at(-1) ?? '';
    throw new InvalidParameter(`component signatures do not match the ${world} world: ${boundedText(why, 300)}`);
  }
}
