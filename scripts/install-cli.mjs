#!/usr/bin/env node
// `npm run install-cli` (as root, after `npm ci`): puts `wasmnet` and `wasmnet-cni` on the PATH,
// and the CNI plugin `wasmnet` where runtimes look for plugins (the package is private: npm
// installs no bin for it). The CLI is a small sh launcher of this checkout's dist/; the CNI
// plugin is host/cni/forwarder.c compiled with the system cc (CC), which hands each call to the
// daemon without starting Node, or, without a C compiler, a sh launcher of the Node plugin.
// `npm run install-cli -- --uninstall` removes them. PREFIX (default /usr/local) and CNI_BIN_DIR
// (default /usr/lib/cni where it exists, Debian's, else /opt/cni/bin) say where.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The line that marks a launcher as ours: only such files are replaced or removed. */
const MARK = '# wasmnet launcher, written by `npm run install-cli`';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const cliMain = join(root, 'dist/host/cli/main.js');
const cniMain = join(root, 'dist/host/cni/main.js');
const forwarderSource = join(root, 'host/cni/forwarder.c');
/** Where the daemon listens when the network configuration names no socket (host/api/socket-path.ts). */
const DEFAULT_SOCKET = '/run/wasmnet/wasmnet.sock';
const prefix = process.env.PREFIX || '/usr/local';
const cniBinDir = process.env.CNI_BIN_DIR || (existsSync('/usr/lib/cni') ? '/usr/lib/cni' : '/opt/cni/bin');

const quote = (text) => `'${text.replaceAll("'", `'\\''`)}'`;
// Runtimes call a CNI plugin with a bare environment: the launchers name Node by its path.
const run = (main) => `exec ${quote(process.execPath)} ${quote(main)} "$@"`;

/** The CNI plugin's answer to VERSION, taken from the plugin itself. */
function versionAnswer() {
  const result = spawnSync(process.execPath, [cniMain], {
    env: { CNI_COMMAND: 'VERSION' },
    input: '',
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`${cniMain} does not answer VERSION (run npm run build): ${result.stderr}`);
  return result.stdout.trim();
}

/** Where each launcher goes, and which it is. */
const targets = [
  [join(prefix, 'bin/wasmnet'), 'cli'],
  [join(prefix, 'bin/wasmnet-cni'), 'cni'],
  [join(cniBinDir, 'wasmnet'), 'cni'],
];

/** The forwarder compiled into a temporary file, or undefined (with the reason) when cc fails. */
function compileForwarder(version) {
  const dir = mkdtempSync(join(tmpdir(), 'wasmnet-cni-'));
  const literal = (text) => JSON.stringify(text);
  writeFileSync(
    join(dir, 'forwarder-config.h'),
    [
      ['WASMNET_MARK', MARK],
      ['VERSION_ANSWER', version],
      ['NODE_PATH', process.execPath],
      ['CNI_MAIN', cniMain],
      ['DEFAULT_SOCKET', DEFAULT_SOCKET],
    ]
      .map(([name, value]) => `#define ${name} ${literal(value)}\n`)
      .join(''),
  );
  const output = join(dir, 'wasmnet-cni');
  const cc = process.env.CC || 'cc';
  const built = spawnSync(cc, ['-O2', '-Wall', '-Werror', '-I', dir, '-o', output, forwarderSource], {
    encoding: 'utf8',
  });
  if (built.status === 0) return { dir, output };
  rmSync(dir, { recursive: true, force: true });
  process.stderr.write(
    `install-cli: cannot compile ${forwarderSource} with ${cc} (${built.error?.message ?? built.stderr.trim()}): the CNI plugin starts Node for every call\n`,
  );
  return undefined;
}

function launchers() {
  const version = versionAnswer();
  const cli = ['#!/bin/sh', MARK, run(cliMain), ''].join('\n');
  const cni = [
    '#!/bin/sh',
    MARK,
    // Runtimes ask VERSION before every ADD and DEL: answered here, without starting Node.
    'if [ "$CNI_COMMAND" = VERSION ]; then',
    `  printf '%s\\n' ${quote(version)}`,
    '  exit 0',
    'fi',
    run(cniMain),
    '',
  ].join('\n');
  return { cli, cni, version };
}

// The forwarder holds the mark as a string: a binary of ours is found the same way.
const ours = (path) => existsSync(path) && readFileSync(path).includes(MARK);

function install() {
  const foreign = targets.map(([path]) => path).filter((path) => existsSync(path) && !ours(path));
  if (foreign.length > 0) throw new Error(`not replacing files wasmnet did not write: ${foreign.join(', ')}`);
  const texts = launchers();
  const forwarder = compileForwarder(texts.version);
  try {
    for (const [path, kind] of targets) {
      mkdirSync(dirname(path), { recursive: true });
      rmSync(path, { force: true }); // a running plugin keeps its file: copy onto a new one
      if (kind === 'cni' && forwarder !== undefined) copyFileSync(forwarder.output, path);
      else writeFileSync(path, texts[kind]);
      chmodSync(path, 0o755);
      process.stdout.write(`installed ${path}\n`);
    }
  } finally {
    if (forwarder !== undefined) rmSync(forwarder.dir, { recursive: true, force: true });
  }
}

function uninstall() {
  for (const [path] of targets) {
    if (!ours(path)) continue;
    rmSync(path);
    process.stdout.write(`removed ${path}\n`);
  }
}

try {
  if (process.argv.includes('--uninstall')) uninstall();
  else install();
} catch (error) {
  process.stderr.write(`install-cli: ${error.message}\n`);
  process.exit(1);
}
