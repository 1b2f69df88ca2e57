// `wasmnet-sdk init` scaffolds a project that installs offline (a file: dependency on this
// SDK), builds and passes its own tests; `build` writes NAME.wasm; bad usage fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SDK_ROOT } from '@wasmnet/sdk';
import { tempDir } from '../support/temp-dir.js';

const CLI = join(SDK_ROOT, 'dist', 'cli.js');
/** npm install links the file: dependency and chmods its bin, which only the owner of the checkout (or root) may. */
const ownsSdk = [0, statSync(CLI).uid].includes(process.getuid?.() ?? -1);

function run(command: string, args: string[], cwd: string): { status: number | null; output: string } {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

test('init → npm install --offline → npm test, in a folder outside the repository', {
  skip: !ownsSdk && "npm install chmods the SDK: needs the checkout to be this user's (or root)",
}, (t) => {
  const root = tempDir(t, 'wasmnet-init-');
  const dir = join(root, 'demo');
  const init = run(process.execPath, [CLI, 'init', 'demo', '--dir', dir], root);
  assert.equal(init.status, 0, init.output);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  assert.equal(pkg.devDependencies['@wasmnet/sdk'], `file:${SDK_ROOT}`);
  const install = run('npm', ['install', '--offline', '--no-audit', '--no-fund'], dir);
  assert.equal(install.status, 0, install.output);
  // The SDK resolves assemblyscript and jco from its own location, not the project's.
  assert.equal(realpathSync(join(dir, 'node_modules', '@wasmnet', 'sdk')), realpathSync(SDK_ROOT));
  assert.equal(existsSync(join(dir, 'node_modules', 'assemblyscript')), false);
  const tested = run('npm', ['test'], dir);
  assert.equal(tested.status, 0, tested.output);
  assert.match(tested.output, /# pass 4/);
  assert.ok(existsSync(join(dir, 'build', 'demo.wasm')));
});

test('init refuses a bad name and a non-empty folder; build explains a missing source or SDK; unknown commands print usage', (t) => {
  const root = tempDir(t, 'wasmnet-init-');
  assert.match(run(process.execPath, [CLI, 'init', 'Bad_Name', '--dir', join(root, 'x')], root).output, /lower-case/);
  assert.match(run(process.execPath, [CLI, 'init', 'ok', '--dir', SDK_ROOT], root).output, /not empty/);
  assert.match(run(process.execPath, [CLI, 'build', join(root, 'missing')], root).output, /no driver source/);
  const orphan = join(root, 'orphan');
  mkdirSync(join(orphan, 'assembly'), { recursive: true });
  writeFileSync(join(orphan, 'assembly', 'index.ts'), '');
  assert.match(run(process.execPath, [CLI, 'build', orphan], root).output, /cannot find @wasmnet\/sdk/);
  const usage = run(process.execPath, [CLI, 'frobnicate'], root);
  assert.equal(usage.status, 2);
  assert.match(usage.output, /usage: wasmnet-sdk/);
});
