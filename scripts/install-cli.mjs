#!/usr/bin/env node
// `npm run install-cli` (as root, after `npm ci`): puts `wasmnet` and `wasmnet-cni` on the PATH,
// and the CNI plugin `wasmnet` where runtimes look for plugins, as small sh launchers of this
// checkout's dist/ (the package is private: npm installs no bin for it). `npm run install-cli --
// --uninstall` removes them. PREFIX (default /usr/local) and CNI_BIN_DIR (default /usr/lib/cni
// where it exists, Debian's, else /opt/cni/bin) say where.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The line that marks a launcher as ours: only such files are replaced or removed. */
const MARK = '# wasmnet launcher, written by `npm run install-cli`';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const cliMain = join(root, 'dist/host/cli/main.js');
const cniMain = join(root, 'dist/host/cni/main.js');
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

function launchers() {
  const cli = ['#!/bin/sh', MARK, run(cliMain), ''].join('\n');
  const cni = [
    '#!/bin/sh',
    MARK,
    // Runtimes ask VERSION before every ADD and DEL: answered here, without starting Node.
    'if [ "$CNI_COMMAND" = VERSION ]; then',
    `  printf '%s\\n' ${quote(versionAnswer())}`,
    '  exit 0',
    'fi',
    run(cniMain),
    '',
  ].join('\n');
  return { cli, cni };
}

const ours = (path) => existsSync(path) && readFileSync(path, 'utf8').split('\n')[1] === MARK;

function install() {
  const foreign = targets.map(([path]) => path).filter((path) => existsSync(path) && !ours(path));
  if (foreign.length > 0) throw new Error(`not replacing files wasmnet did not write: ${foreign.join(', ')}`);
  const texts = launchers();
  for (const [path, kind] of targets) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, texts[kind]);
    chmodSync(path, 0o755);
    process.stdout.write(`installed ${path}\n`);
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
