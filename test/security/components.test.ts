// Attack: component files a client hands `driver load`. A component padded past the size limit,
// one whose names match the world but whose signatures do not, a FIFO (five at once, and as an
// upgrade) and a symlink: each is refused at load with a typed error, before the file is read
// whole, without blocking a thread; the neighbour on the built-in bridge keeps working and the
// host namespace is unchanged.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { componentEmbed, componentNew } from '@bytecodealliance/jco';
import { readWitSource } from '../../host/wit/source.js';
import { buildHostile, loadHostile } from './drivers.js';
import { assertUnharmed, machineState, namespaceState, neighbour, refusal, startDaemon } from './harness.js';
import { needsRoot } from '../support/root.js';

/** `component` with a custom section of `bytes` zeros appended (still a valid component). */
function padded(component: Uint8Array, bytes: number): Uint8Array {
  const name = new TextEncoder().encode('padding');
  const size = 1 + name.length + bytes;
  const leb: number[] = [];
  for (let rest = size; ; ) {
    const byte = rest & 0x7f;
    rest >>>= 7;
    leb.push(rest === 0 ? byte : byte | 0x80);
    if (rest === 0) break;
  }
  const out = new Uint8Array(component.length + 1 + leb.length + size);
  out.set(component);
  out.set([0, ...leb, name.length, ...name], component.length);
  return out;
}

test('oversized, mis-typed, FIFO and symlinked components are refused at load; neighbour and host unaffected', {
  ...needsRoot,
  timeout: 300_000,
}, async (t) => {
  const hostile = await buildHostile();
  // The right names, the wrong signature: init takes an argument (every export of a dummy traps).
  const witSource = readWitSource().replace(/init: func\(\)/, 'init: func(x: u32)');
  const mistyped = await componentNew(await componentEmbed({ dummy: true, witSource, world: 'network-driver' }));
  const machineBefore = machineState();
  const daemon = await startDaemon(t, 'sec-comp');
  const hostBefore = namespaceState(daemon.hostNetns);
  const steady = neighbour(daemon, '10.154.0.0/24');
  // A failed attack must not leave the neighbour running: stop() is idempotent.
  try {
    await assert.rejects(
      loadHostile(daemon, padded(hostile, 17 * 2 ** 20), 'big.wasm'),
      refusal(400, /limit/, '17 MiB'),
    );
    await assert.rejects(loadHostile(daemon, mistyped, 'mistyped.wasm'), refusal(400, /signatures/, 'mis-typed'));
    const fifos = [0, 1, 2, 3, 4].map((i) => join(daemon.host.dir, `fifo${i}.wasm`));
    for (const fifo of fifos) execFileSync('mkfifo', [fifo]);
    await Promise.all(
      fifos.map((path) =>
        assert.rejects(daemon.api.post('/v1/drivers', { path }), refusal(400, /not a regular file/, 'a FIFO')),
      ),
    );
    const link = join(daemon.host.dir, 'link.wasm');
    writeFileSync(join(daemon.host.dir, 'target.wasm'), hostile);
    symlinkSync(join(daemon.host.dir, 'target.wasm'), link);
    await assert.rejects(
      daemon.api.post('/v1/drivers', { path: link }),
      refusal(400, /not a regular file/, 'a symlink'),
    );
    await loadHostile(daemon, hostile);
    await assert.rejects(
      daemon.api.post('/v1/drivers/hostile/upgrade', { path: fifos[0] }),
      refusal(400, /not a regular file/, 'an upgrade from a FIFO'),
    );
    const listed = (await daemon.api.get<Array<{ name: string }>>('/v1/drivers')).map((driver) => driver.name);
    for (const owner of ['big', 'mistyped', 'fifo0', 'link']) assert.ok(!listed.includes(owner), `${owner} is loaded`);
  } finally {
    await steady.stop();
  }
  await assertUnharmed({ daemon, steady, hostBefore, machineBefore });
});
