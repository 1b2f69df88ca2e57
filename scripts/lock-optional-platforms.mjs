// Makes package-lock.json acceptable to `npm ci` on this project's registry.
//
// The registry we install from does not serve every platform build of packages such as
// rolldown, msgpackr-extract (lmdb) or jco-node-fs. `npm install` then silently leaves those
// optional dependencies out of the lock, and `npm ci` refuses the lock as "out of sync".
// This script records each missing optional platform package in the lock with its os/cpu, so
// `npm ci` accepts the lock and skips the package on this platform, as it would anyway.
// Run it after every `npm install` that changes the lock: `node scripts/lock-optional-platforms.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';

const LOCK = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(LOCK, 'utf8'));
const OSES = ['darwin', 'win32', 'android', 'freebsd', 'openharmony', 'linux', 'sunos', 'aix'];
const CPUS = ['arm64', 'x64', 'arm', 'ia32', 'ppc64', 's390x', 'riscv64', 'loong64'];

/** The lock key npm would resolve `name` to from the package at `fromKey`. */
function resolvedKey(fromKey, name) {
  for (let base = fromKey; ; base = base.slice(0, base.lastIndexOf('/node_modules/'))) {
    const key = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (lock.packages[key]) return key;
    if (!base.includes('/node_modules/'))
      return lock.packages[`node_modules/${name}`] ? `node_modules/${name}` : undefined;
  }
}

const platformOf = (name) => {
  if (name.includes('wasm32')) return { cpu: ['wasm32'] };
  const os = OSES.find((candidate) => name.includes(`-${candidate}-`) || name.endsWith(`-${candidate}`));
  const cpu = CPUS.find((candidate) => new RegExp(`-${candidate}(-|$)`).test(name));
  return {
    ...(os ? { os: [os] } : {}),
    ...(cpu ? { cpu: [cpu] } : {}),
    ...(name.endsWith('-musl') ? { libc: ['musl'] } : {}),
  };
};

let added = 0;
for (const [key, entry] of Object.entries(lock.packages)) {
  for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    if (resolvedKey(key, name)) continue;
    const platform = platformOf(name);
    if (!platform.os && !platform.cpu) continue; // not a platform build: leave it to npm
    lock.packages[`node_modules/${name}`] = { version: spec.replace(/^[\^~=]/, ''), optional: true, ...platform };
    added += 1;
  }
}
writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lock-optional-platforms: recorded ${added} optional platform package(s) the registry does not serve`);
