#!/usr/bin/env node
// `wasmnet-sdk`: init NAME | build [DIR] | test [DIR].
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildDriver } from './build.js';
import { scaffold } from './scaffold.js';

const USAGE = `usage: wasmnet-sdk <command>
  init NAME [--dir DIR]     scaffold a driver project in DIR (default ./NAME)
  build [DIR] [--world W] [--entry FILE] [--out FILE] [--debug]
                            compile DIR/assembly/index.ts into DIR/build/NAME.wasm
  test [DIR]                build, then run DIR/test/*.test.* with node:test against the mock host
`;

interface ProjectConfig {
  name?: string;
  world?: string;
  entry?: string;
}

function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const value = args[at + 1];
  args.splice(at, 2);
  return value;
}

/** A project's settings: the `wasmnet` field of its package.json, if any. */
function projectConfig(dir: string): ProjectConfig {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      name?: string;
      wasmnet?: ProjectConfig;
    };
    return { name: pkg.name?.replace(/^@[^/]+\//, ''), ...pkg.wasmnet };
  } catch {
    return {};
  }
}

async function build(args: string[]): Promise<string> {
  const debug = args.includes('--debug');
  const world = flag(args, '--world');
  const entry = flag(args, '--entry');
  const out = flag(args, '--out');
  const dir = resolve(args.find((a) => a !== '--debug') ?? '.');
  const config = projectConfig(dir);
  const started = performance.now();
  const result = await buildDriver({
    projectDir: dir,
    world: world ?? config.world,
    entry: entry ?? config.entry,
    name: config.name,
    outFile: out,
    optimize: !debug,
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  process.stdout.write(`wrote ${result.outFile} (${result.component.byteLength} bytes, ${seconds} s)\n`);
  return dir;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'init': {
      const name = args.find((a) => !a.startsWith('--'));
      if (name === undefined) break;
      const dir = resolve(flag(args, '--dir') ?? name);
      scaffold(name, dir);
      process.stdout.write(`created ${dir}\nnext: cd ${dir} && npm install --offline && npm test\n`);
      return 0;
    }
    case 'build':
      await build(args);
      return 0;
    case 'test': {
      const dir = await build(args);
      // A test run of its own, even when started from inside another node:test run.
      const env = { ...process.env };
      delete env.NODE_TEST_CONTEXT;
      const run = spawnSync(process.execPath, ['--test', 'test/'], { cwd: dir, stdio: 'inherit', env });
      return run.status ?? 1;
    }
  }
  process.stderr.write(USAGE);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
