// `wasmnet-sdk build`: AssemblyScript → core module → renamed exports → component.
import { main as asc } from 'assemblyscript/dist/asc.js';
import { componentEmbed, componentNew } from '@bytecodealliance/jco';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { generateSdkBindings, writeIfChanged } from './gen/generate.js';
import { BindingsGenerator } from './gen/bindings.js';
import { parseWit } from './wit/parse.js';
import { SDK_ROOT, readWitSource } from './wit/source.js';

export interface BuildOptions {
  /** The driver project (its AssemblyScript entry is `entry`, relative to it). */
  projectDir: string;
  /** Default: assembly/index.ts */
  entry?: string;
  /** Default: network-driver */
  world?: string;
  /** Component file to write; default: build/<name>.wasm */
  outFile?: string;
  /** Default: the project folder's name. */
  name?: string;
  /** asc optimisation (default true: -O3, shrink level 2; not --converge: more build time, no smaller output). */
  optimize?: boolean;
  /** Cap linear memory at this many 64 KiB pages (as the host does); default: no cap. */
  maximumMemoryPages?: number;
  /**
   * A world outside the SDK's: extra WIT appended to the SDK's package, and the module that
   * implements each exported interface (paths relative to the project). Its bindings are
   * generated into build/generated/.
   */
  custom?: { extraWit: string; impls: Record<string, string> };
}

export interface BuildResult {
  outFile: string;
  component: Uint8Array;
  coreBytes: number;
}

/** Exports a core module keeps besides the renamed ones. */
const KEPT_EXPORTS = new Set(['memory', '_initialize']);

export async function buildDriver(options: BuildOptions): Promise<BuildResult> {
  const projectDir = resolve(options.projectDir);
  const world = options.world ?? 'network-driver';
  const driver = options.entry ?? (options.custom === undefined ? 'assembly/index.ts' : undefined);
  if (driver !== undefined && !existsSync(join(projectDir, driver)))
    throw new Error(`no driver source ${join(projectDir, driver)}`);
  if (!sdkReachable(projectDir)) {
    throw new Error(
      `asc cannot find @wasmnet/sdk from ${projectDir}: add it as a dependency ("file:${SDK_ROOT}") and npm install`,
    );
  }
  const buildDir = join(projectDir, 'build');
  mkdirSync(buildDir, { recursive: true });
  const witSource = readWitSource() + (options.custom?.extraWit ?? '');
  // The entry reaches the SDK by its package name, as the driver does: asc then sees one copy
  // of the SDK's modules (a second path to the same file would be a second module).
  let glue = `@wasmnet/sdk/assembly/generated/${world}`;
  let renames = generateSdkBindings(readWitSource())[world];
  if (options.custom !== undefined) {
    glue = `./generated/${world}`;
    renames = generateCustom(witSource, world, join(buildDir, 'generated'), projectDir, options.custom.impls);
  }
  if (renames === undefined) throw new Error(`the SDK has no world '${world}'`);
  const lines = [`export * from "${glue}";`];
  if (driver !== undefined) lines.push(`import "${modulePath(buildDir, join(projectDir, driver))}";`);
  writeIfChanged(join(buildDir, 'entry.ts'), `${lines.join('\n')}\n`);
  const flags = (options.optimize ?? true) ? ['-O3', '--shrinkLevel', '2'] : ['--debug'];
  if (options.maximumMemoryPages !== undefined) flags.push('--maximumMemory', String(options.maximumMemoryPages));
  const renamed = await compile(projectDir, 'build/entry.ts', flags, renames);
  const component = await componentNew(await componentEmbed({ binary: renamed, witSource, world }));
  const name = options.name ?? projectDir.split('/').pop() ?? 'driver';
  const outFile = resolve(projectDir, options.outFile ?? join('build', `${name}.wasm`));
  writeFileSync(outFile, component);
  return { outFile, component, coreBytes: renamed.byteLength };
}

/** Whether a node_modules/@wasmnet/sdk lies on the way up from `dir` (asc resolves packages so). */
function sdkReachable(dir: string): boolean {
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, 'node_modules', '@wasmnet', 'sdk', 'index.ts'))) return true;
    if (dirname(at) === at) return false;
  }
}

/** A path from `fromDir` to an AssemblyScript module, as an import specifier. */
function modulePath(fromDir: string, file: string): string {
  const path = relative(fromDir, file).replace(/\.ts$/, '');
  return path.startsWith('.') ? path : `./${path}`;
}

function generateCustom(
  witSource: string,
  world: string,
  outDir: string,
  projectDir: string,
  impls: Record<string, string>,
): Record<string, string> | undefined {
  const worldImpls = Object.fromEntries(
    Object.entries(impls).map(([iface, file]) => [iface, modulePath(outDir, join(projectDir, file))]),
  );
  const generated = new BindingsGenerator(parseWit(witSource)).generate(
    { runtime: '@wasmnet/sdk/assembly/wit-rt', bindings: './bindings' },
    { [world]: worldImpls },
  );
  mkdirSync(outDir, { recursive: true });
  writeIfChanged(join(outDir, 'bindings.ts'), generated.bindings);
  const glue = generated.worlds[world];
  if (glue !== undefined) writeIfChanged(join(outDir, `${world}.ts`), glue.source);
  return glue?.renames;
}

/** asc's binaryen wrapper, as much of it as the rename needs. */
interface BinaryenApi {
  getExportInfo(ref: number): { name: string; value: string };
}
interface BinaryenModule {
  getNumExports(): number;
  getExportByIndex(index: number): number;
  removeExport(name: string): void;
  addFunctionExport(internalName: string, externalName: string): void;
}

/**
 * An asc transform giving exports their canonical-ABI names, which AssemblyScript cannot
 * spell, and dropping every other export (before optimisation, so unused code goes too).
 */
function renameTransform(renames: Record<string, string>): new () => { afterCompile(module: BinaryenModule): void } {
  return class RenameExports {
    declare binaryen: BinaryenApi;
    afterCompile(module: BinaryenModule): void {
      const exports = [];
      for (let i = 0; i < module.getNumExports(); i++)
        exports.push(this.binaryen.getExportInfo(module.getExportByIndex(i)));
      for (const info of exports) {
        if (KEPT_EXPORTS.has(info.name)) continue;
        module.removeExport(info.name);
        const target = renames[info.name];
        if (target !== undefined) module.addFunctionExport(info.value, target);
      }
    }
  };
}

async function compile(
  baseDir: string,
  entry: string,
  flags: string[],
  renames: Record<string, string>,
): Promise<Uint8Array> {
  let binary: Uint8Array | undefined;
  const errors: string[] = [];
  const result = await asc(
    [
      entry,
      '--baseDir',
      baseDir,
      '--runtime',
      'incremental',
      '--exportStart',
      '_initialize',
      '--use',
      'abort=',
      '--outFile',
      'out.wasm',
      ...flags,
    ],
    {
      transforms: [renameTransform(renames)],
      writeFile: (file: string, contents: Uint8Array | string) => {
        if (file.endsWith('.wasm') && typeof contents !== 'string') binary = contents;
      },
      stderr: {
        write: (chunk: string | Uint8Array) => {
          errors.push(String(chunk));
          return true;
        },
      },
      stdout: { write: () => true },
    } as unknown as Parameters<typeof asc>[1],
  );
  if (result.error || binary === undefined)
    throw new Error(`asc failed: ${result.error?.message ?? ''}\n${errors.join('')}`);
  return binary;
}
