// Attack: a driver flooding its log in one call (100 lines of 1 MiB, then 20 000 lines of
// 1 KiB; the full-size attack, 200 000 and 1 000, wrote 1 GB and stalled the API 14 s). Lines are
// cut to 4 KiB and marked, at most the burst of 1 000 get through, the rest are counted: a log
// line says how many were dropped and /metrics counts them. The calls stay quick, the neighbour
// on the built-in bridge keeps working, the host namespace is unchanged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attackNetwork, buildHostile, loadHostile } from './drivers.js';
import { assertUnharmed, machineState, namespaceState, neighbour, startDaemon } from './harness.js';
import { needsRoot } from '../support/root.js';

test('a driver flooding its log is cut and rate-limited, and the drops are reported; neighbour and host unaffected', {
  ...needsRoot,
  timeout: 300_000,
}, async (t) => {
  const hostile = await buildHostile();
  const machineBefore = machineState();
  const daemon = await startDaemon(t, 'sec-logs');
  const hostBefore = namespaceState(daemon.hostNetns);
  const steady = neighbour(daemon, '10.156.0.0/24');
  // A failed attack must not leave the neighbour running: stop() is idempotent.
  try {
    await loadHostile(daemon, hostile);
    const logsBefore = daemon.logs().length;
    const floodStarted = performance.now();

    const floods: Array<[string, number, number]> = [
      ['long', 100, 2 ** 20],
      ['many', 20_000, 1024],
    ];
    for (const [index, [network, count, size]] of floods.entries()) {
      await attackNetwork(daemon, network, `10.156.${index + 1}.0/24`, {
        attack: 'log',
        count: String(count),
        size: String(size),
      });
      const started = performance.now();
      await daemon.api.post(`/v1/networks/${network}/endpoints`, { name: 'ep' });
      const ms = performance.now() - started;
      assert.ok(ms < 5_000, `${count} lines of ${size} bytes took ${Math.round(ms)} ms`);
      await daemon.api.delete(`/v1/networks/${network}/endpoints/ep`);
      await daemon.api.delete(`/v1/networks/${network}`);
    }

    const floodSeconds = (performance.now() - floodStarted) / 1000;
    const written = daemon.logs().slice(logsBefore);
    assert.ok(written.length < 8 * 2 ** 20, `the daemon logged ${written.length} characters`);
    const lines = written.split('\n').filter((line) => line.includes('xxxx'));
    // The burst, and what the bucket refilled meanwhile (100 lines a second).
    assert.ok(lines.length <= 1000 + 100 * Math.ceil(floodSeconds), `${lines.length} flood lines got through`);
    assert.ok(
      lines.some((line) => line.includes('… (1048576 characters)')),
      'a cut line is marked with its length',
    );
    const dropped = [...written.matchAll(/driver hostile dropped (\d+) log lines/g)].map((match) => Number(match[1]));
    assert.ok(dropped.length > 0, 'the drops are logged');
    const total = dropped.reduce((sum, count) => sum + count, 0);
    assert.equal(total + lines.length, 20_100, 'every line was either logged or counted as dropped');
    const metrics = await daemon.api.text('/metrics');
    assert.match(metrics, new RegExp(`wasmnet_driver_log_lines_dropped_total\\{driver="hostile"\\} ${total}\\b`));
  } finally {
    await steady.stop();
  }
  await assertUnharmed({ daemon, steady, hostBefore, machineBefore });
});
