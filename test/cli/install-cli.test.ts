// `npm run install-cli` (scripts/install-cli.mjs) into a temporary PREFIX and CNI_BIN_DIR: the
// launchers run the CLI and the plugin with a bare environment (as runtimes call plugins), the
// CNI plugin (compiled, or a sh launcher without cc) answers VERSION as the Node plugin does, a
// file it did not write is never replaced, and --uninstall removes only its own.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../support/temp-dir.js';

const INSTALL_CLI = fileURLToPath(new URL('../../../scripts/install-cli.mjs', import.meta.url));
const CNI_MAIN = fileURLToPath(new URL('../../host/cni/main.js', import.meta.url));

function installCli(dir: string, ...args: string[]) {
  return installCliWith({}, dir, ...args);
}

function installCliWith(env: Record<string, string>, dir: string, ...args: string[]) {
  return spawnSync(process.execPath, [INSTALL_CLI, ...args], {
    env: { ...process.env, PREFIX: join(dir, 'prefix'), CNI_BIN_DIR: join(dir, 'cni'), ...env },
    encoding: 'utf8',
  });
}

/** Runs a launcher with nothing in its environment but `env` (no PATH). */
const bare = (path: string, env: Record<string, string>, args: string[] = []) =>
  spawnSync(path, args, { env, input: '{"cniVersion":"1.0.0"}', encoding: 'utf8' });

test('install-cli writes launchers that run with a bare environment; the CNI one answers VERSION as the plugin does', (t) => {
  const dir = tempDir(t, 'wasmnet-install-');
  const installed = installCli(dir);
  assert.equal(installed.status, 0, installed.stderr);
  const launchers = [join(dir, 'prefix/bin/wasmnet'), join(dir, 'prefix/bin/wasmnet-cni'), join(dir, 'cni/wasmnet')];
  for (const path of launchers) accessSync(path, constants.X_OK);
  assert.match(bare(launchers[0]!, {}, ['--help']).stdout, /^Usage: wasmnet/m);
  const plugin = spawnSync(process.execPath, [CNI_MAIN], { env: { CNI_COMMAND: 'VERSION' }, encoding: 'utf8' }).stdout;
  for (const path of launchers.slice(1)) assert.equal(bare(path, { CNI_COMMAND: 'VERSION' }).stdout, plugin);
  // Past VERSION the launcher runs the plugin itself: a bad configuration gets its typed error.
  const add = bare(launchers[2]!, { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c', CNI_NETNS: '/x', CNI_IFNAME: 'eth0' });
  assert.equal(add.status, 1);
  assert.equal(JSON.parse(add.stdout).code, 7, add.stdout);
  assert.equal(installCli(dir).status, 0, 'installing again replaces its own launchers');
  assert.equal(readFileSync(launchers[2]!).subarray(1, 4).toString(), 'ELF', 'the CNI plugin is compiled');
});

test('without a C compiler the CNI plugin is a launcher of the Node plugin, with a warning', (t) => {
  const dir = tempDir(t, 'wasmnet-install-');
  const installed = installCliWith({ CC: join(dir, 'no-such-cc') }, dir);
  assert.equal(installed.status, 0, installed.stderr);
  assert.match(installed.stderr, /cannot compile .*forwarder\.c.*starts Node for every call/);
  const plugin = join(dir, 'cni/wasmnet');
  assert.match(readFileSync(plugin, 'utf8'), /^#!\/bin\/sh\n/);
  const version = spawnSync(process.execPath, [CNI_MAIN], { env: { CNI_COMMAND: 'VERSION' }, encoding: 'utf8' });
  assert.equal(bare(plugin, { CNI_COMMAND: 'VERSION' }).stdout, version.stdout);
  const add = bare(plugin, { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c', CNI_NETNS: '/x', CNI_IFNAME: 'eth0' });
  assert.equal(JSON.parse(add.stdout).code, 7, add.stdout);
  assert.equal(installCli(dir, '--uninstall').status, 0);
  assert.ok(!existsSync(plugin));
});

test('install-cli replaces and removes only files it wrote', (t) => {
  const dir = tempDir(t, 'wasmnet-install-');
  mkdirSync(join(dir, 'cni'));
  const foreign = join(dir, 'cni/wasmnet');
  writeFileSync(foreign, '#!/bin/sh\necho not wasmnet\n');
  const refused = installCli(dir);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /not replacing files wasmnet did not write: .*cni\/wasmnet/);
  assert.equal(readFileSync(foreign, 'utf8'), '#!/bin/sh\necho not wasmnet\n');
  assert.ok(!existsSync(join(dir, 'prefix/bin/wasmnet')), 'nothing is written when one file is refused');

  assert.equal(installCli(dir, '--uninstall').status, 0);
  assert.ok(existsSync(foreign), 'uninstall keeps a file it did not write');
  rmSync(foreign);
  assert.equal(installCli(dir).status, 0);
  const removed = installCli(dir, '--uninstall');
  assert.equal(removed.status, 0);
  for (const path of ['prefix/bin/wasmnet', 'prefix/bin/wasmnet-cni', 'cni/wasmnet'])
    assert.ok(!existsSync(join(dir, path)), `${path} removed`);
});
