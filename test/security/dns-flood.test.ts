// Attack: from inside a sandbox, flood its embedded DNS with queries (local names, and unknown
// names whose forwards go nowhere) and send it malformed and oversize messages over UDP and TCP.
// The resolver keeps answering, a sandbox on another network keeps resolving while it runs, the
// neighbour on the built-in bridge sees no failure, and the daemon's open files stay bounded.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SandboxView } from '../../host/api/port.js';
import { DnsClient, encodeQuery, TYPE } from '../dns/client.js';
import { machineState, namespaceState, neighbour, startDaemon } from './harness.js';
import { needsRoot } from '../support/root.js';

/** Messages a resolver must survive: none is a query it can answer. */
function malformed(): Buffer[] {
  const query = encodeQuery('peer', TYPE.A, 7);
  const withCount = (offset: number, value: number): Buffer => {
    const copy = Buffer.from(query);
    copy.writeUInt16BE(value, offset);
    return copy;
  };
  const loop = Buffer.concat([query.subarray(0, 12), Buffer.from([0xc0, 0x0c, 0, 1, 0, 1])]);
  const longName = Buffer.concat([query.subarray(0, 12), Buffer.alloc(300, 0x3f), Buffer.from([0, 0, 1, 0, 1])]);
  return [
    Buffer.alloc(0),
    Buffer.alloc(5),
    query.subarray(0, 12),
    query.subarray(0, query.length - 2),
    withCount(4, 0),
    withCount(4, 2),
    withCount(2, 0x8100), // a reply, not a query
    withCount(2, 0x2900), // opcode UPDATE
    loop,
    longName,
    Buffer.concat([query, Buffer.alloc(9000)]),
    Buffer.alloc(65000, 0xff),
    ...Array.from({ length: 500 }, () => randomBytes(1 + Math.floor(Math.random() * 600))),
  ];
}

/**
 * TCP abuse from a child process inside the namespace at `key`: more connections than allowed,
 * each announcing a 64 KiB frame that never comes, then a garbage frame; held for `holdMs`.
 */
function tcpAbuse(key: string, holdMs: number): Promise<void> {
  const script = `
    const net = require('node:net');
    for (let i = 0; i < 40; i++) {
      const s = net.connect(53, '127.0.0.11', () => {
        s.write(Buffer.from([0, 14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
        s.write(Buffer.from([0xff, 0xff, 1, 2, 3]));
      });
      s.on('error', () => {});
    }
    setTimeout(() => process.exit(0), ${holdMs});`;
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', [`--net=${key}`, process.execPath, '-e', script], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', () => resolve());
  });
}

test('a DNS flood and malformed messages leave the resolver answering and the neighbours unaffected', {
  ...needsRoot,
  timeout: 180_000,
}, async (t) => {
  const machineBefore = machineState();
  const daemon = await startDaemon(t, 'sec-dns');
  const hostBefore = namespaceState(daemon.hostNetns);
  const steady = neighbour(daemon, '10.152.0.0/24');
  t.after(() => steady.stop());
  const connect = async (network: string, subnet: string, names: string[]): Promise<SandboxView[]> => {
    await daemon.api.post('/v1/networks', { name: network, driver: 'bridge', ipam: { config: [{ subnet }] } });
    const boxes: SandboxView[] = [];
    for (const name of names) {
      const box = await daemon.api.post<SandboxView>('/v1/sandboxes', { containerId: name });
      await daemon.api.post(`/v1/networks/${network}/endpoints`, { name });
      await daemon.api.post(`/v1/networks/${network}/endpoints/${name}/join`, { sandbox: name });
      boxes.push(box);
    }
    return boxes;
  };
  const [victim] = await connect('attacked', '10.153.0.0/24', ['victim', 'peer']);
  const [bystander] = await connect('quiet', '10.154.0.0/24', ['bystander', 'friend']);
  const attacker = new DnsClient(victim!.key);
  const calm = new DnsClient(bystander!.key);
  t.after(() => {
    attacker.close();
    calm.close();
  });
  assert.deepEqual((await attacker.ask('peer'))?.answers, ['10.153.0.3']);
  const fdDir = `/proc/${daemon.child.pid}/fd`;
  const files = (): number => readdirSync(fdDir).length;
  const fdKinds = (): string =>
    readdirSync(fdDir)
      .map((fd) => {
        try {
          return readlinkSync(`${fdDir}/${fd}`).replace(/\d+/g, 'N');
        } catch {
          return 'gone';
        }
      })
      .sort()
      .join(' ');
  const filesBefore = files();
  // What the daemon holds anyway while the neighbour's lifecycles come and go (their namespaces,
  // links and DNS sockets): its peak over a quiet second is the baseline the attack is held to.
  let quietPeak = filesBefore;
  for (const quietUntil = performance.now() + 1000; performance.now() < quietUntil; ) {
    quietPeak = Math.max(quietPeak, files());
    await new Promise((resolve) => setTimeout(resolve, 5));
  }

  // The bystander keeps asking while the attack runs: every answer must come, and quickly.
  let attacking = true;
  let peakFiles = filesBefore;
  const slowest = (async () => {
    let worst = 0;
    while (attacking) {
      const started = performance.now();
      const reply = await calm.ask('friend', TYPE.A, 2000);
      assert.deepEqual(reply?.answers, ['10.154.0.3'], 'the bystander resolves during the attack');
      worst = Math.max(worst, performance.now() - started);
      peakFiles = Math.max(peakFiles, files());
    }
    return worst;
  })();

  const tcp = tcpAbuse(victim!.key, 3000);
  for (let round = 0; round < 20_000; round++) {
    attacker.send(encodeQuery(round % 2 === 0 ? 'peer' : `unknown-${round}.example`, TYPE.A));
    if (round % 200 === 0) for (const bytes of malformed()) attacker.send(bytes);
    if (round % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  await tcp;
  attacking = false;
  const worst = await slowest;

  assert.deepEqual((await attacker.ask('peer'))?.answers, ['10.153.0.3'], 'the attacked resolver still answers');
  assert.ok(worst < 1000, `the bystander's slowest answer took ${worst.toFixed(0)} ms`);
  // At most 64 forwards in flight per sandbox and 16 TCP connections beyond the quiet peak, with
  // a little room for the neighbour's lifecycles bunching up on a loaded machine.
  assert.ok(
    peakFiles <= quietPeak + 64 + 16 + 8,
    `the daemon's open files peaked at ${peakFiles} (quiet peak ${quietPeak}, ${filesBefore} before)`,
  );
  // Forwards still in flight (each waits for its upstreams in turn) close as they time out.
  // (Against the quiet peak too: the neighbour's sandboxes drain and refill the namespace pool,
  // whose spares hold the embedded DNS's sockets.)
  for (let i = 0; i < 150 && files() > quietPeak + 8; i++) await sleep(100);
  assert.ok(
    files() <= quietPeak + 8,
    `the daemon's open files: ${filesBefore} before (quiet peak ${quietPeak}), ${files()} after: ${fdKinds()}`,
  );
  const { lifecycles, failures } = await steady.stop();
  assert.deepEqual(failures, []);
  assert.ok(lifecycles > 0, 'the neighbour ran');
  // The clients' sockets hold the namespaces they were made in.
  attacker.close();
  calm.close();
  for (const name of ['victim', 'peer', 'bystander', 'friend']) await daemon.api.delete(`/v1/sandboxes/${name}`);
  for (const [network, names] of [
    ['attacked', ['victim', 'peer']],
    ['quiet', ['bystander', 'friend']],
  ] as const) {
    for (const name of names) await daemon.api.delete(`/v1/networks/${network}/endpoints/${name}`);
    await daemon.api.delete(`/v1/networks/${network}`);
  }
  // A deleted namespace takes its veths' host ends with it when the kernel gets to it (nothing
  // may hold it: the resolver's sockets were closed first).
  for (let i = 0; i < 300 && namespaceState(daemon.hostNetns) !== hostBefore; i++) await sleep(100);
  assert.equal(namespaceState(daemon.hostNetns), hostBefore);
  assert.equal(await daemon.stop(), 0);
  assert.equal(machineState(), machineBefore);
});
