// The daemon's driver API over the real runtime: the built-in components are listed, a component
// dropped into DATA_DIR/drivers (watched by default) is loaded and removing it unloads it, and
// `driver load|inspect|upgrade|unload` work from any path; bad input gets clear errors.
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { DriverView } from '../../host/api/port.js';
import { silentLogger } from '../../host/api/log.js';
import { startDaemon } from '../../host/cli/daemon.js';
import { makeHost } from '../controller/fixtures.js';
import { needsRoot } from '../support/root.js';
import { buildAsFixture } from '../drivers/as-fixtures.js';
import { cli } from './helpers.js';

test('driver API: built-ins listed, the watched DATA_DIR/drivers, load, inspect, upgrade, unload', {
  ...needsRoot,
  timeout: 120_000,
}, async (t) => {
  const host = makeHost('drv');
  t.after(() => host.cleanup());
  const socket = join(host.dir, 'api.sock');
  const dataDir = join(host.dir, 'daemon');
  const daemon = await startDaemon({
    socketPath: socket,
    dataDir,
    hostNetns: host.host.path as string,
    log: silentLogger,
  });
  t.after(() => daemon.close());
  const wasmnet = (...args: string[]) => cli(['--socket', socket, ...args]);
  const names = async (): Promise<string[]> =>
    (JSON.parse((await wasmnet('driver', 'ls', '--format', 'json')).stdout) as DriverView[]).map((d) => d.name).sort();
  const waitFor = async (want: (list: string[]) => boolean): Promise<string[]> => {
    for (let i = 0; i < 200; i += 1) {
      const list = await names();
      if (want(list)) return list;
      await sleep(50);
    }
    return names();
  };

  const builtins = await names();
  assert.ok(
    ['bridge', 'host', 'null'].every((name) => builtins.includes(name)),
    builtins.join(','),
  );

  const wasm = join(host.dir, 'bridgy.wasm');
  writeFileSync(wasm, await buildAsFixture('bridgy'));
  const watched = join(dataDir, 'drivers', 'bridgy.wasm');
  copyFileSync(wasm, watched);
  assert.ok(
    (await waitFor((list) => list.includes('bridgy'))).includes('bridgy'),
    'a component dropped in DATA_DIR/drivers is loaded',
  );
  rmSync(watched);
  assert.ok(!(await waitFor((list) => !list.includes('bridgy'))).includes('bridgy'), 'removing the file unloads it');

  const loaded = await wasmnet('driver', 'load', '--name', 'mine', wasm);
  assert.deepEqual([loaded.code, loaded.stdout], [0, 'mine\n'], loaded.stderr);
  const inspect = JSON.parse((await wasmnet('driver', 'inspect', 'mine')).stdout) as DriverView;
  assert.deepEqual(inspect.registrations, [{ kind: 'driver', name: 'bridgy' }]);
  assert.equal(inspect.healthy, true);
  const upgraded = await wasmnet('driver', 'upgrade', 'mine', wasm);
  assert.equal(upgraded.code, 0, upgraded.stderr);
  const unloaded = await wasmnet('driver', 'unload', 'mine');
  assert.equal(unloaded.code, 0, unloaded.stderr);
  assert.ok(!(await names()).includes('mine'));

  const missing = await wasmnet('driver', 'load', join(host.dir, 'nothing.wasm'));
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /nothing\.wasm/);
  const notLoaded = await wasmnet('driver', 'unload', 'mine');
  assert.notEqual(notLoaded.code, 0);
  assert.ok(existsSync(socket));
});
