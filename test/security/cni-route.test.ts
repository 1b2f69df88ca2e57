// Attack: POST /v1/cni, the daemon running CNI commands itself (what the plugin's C forwarder
// sends). Hostile requests: a CNI_NETNS that is not a namespace (a plain file, a missing path, a
// relative path climbing to /proc/1/ns/net), the daemon's host namespace, the machine's;
// traversal in the container id and the interface name; malformed, unknown-field and oversize
// bodies. Each gets the spec's error (exit code 1, a CNI error code) or a 4xx, leaves no
// sandbox or endpoint, the daemon keeps serving a real ADD/DEL, the neighbour on the built-in
// bridge never fails and the host namespace is unchanged.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import type { EndpointView, SandboxView } from '../../host/api/port.js';
import { createNetns, deleteNetns } from '../../host/netlink/index.js';
import { ipJson } from '../netlink/helpers.js';
import { needsRoot } from '../support/root.js';
import { assertUnharmed, machineState, namespaceState, neighbour, startDaemon, type Daemon } from './harness.js';

interface Answer {
  status: number;
  exitCode: number | undefined;
  text: string;
}

/** One raw POST /v1/cni. */
function post(daemon: Daemon, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: daemon.socket,
        method: 'POST',
        path: '/v1/cni',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => {
          const header = res.headers['cni-exit-code'];
          resolve({ status: res.statusCode ?? 0, exitCode: header === undefined ? undefined : Number(header), text });
        });
      },
    );
    // The server may answer an oversize body before reading it all.
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' ? undefined : reject(error)));
    req.end(body);
  });
}

const SUBNET = '10.153.1.0/24';

function cni(daemon: Daemon, command: string, env: Record<string, string>): Promise<Answer> {
  const conf = { cniVersion: '1.0.0', name: 'cnisec', type: 'wasmnet', subnet: SUBNET };
  return post(
    daemon,
    JSON.stringify({
      env: { CNI_COMMAND: command, CNI_IFNAME: 'eth0', CNI_PATH: '/opt/cni/bin', ...env },
      stdin: JSON.stringify(conf),
    }),
  );
}

/** Asserts a CNI error result: exit code 1 and the spec's error JSON with `code`, when given. */
function cniError(answer: Answer, code?: number): void {
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.exitCode, 1, answer.text);
  const result = JSON.parse(answer.text) as { code: unknown; msg: unknown };
  assert.equal(typeof result.code, 'number', answer.text);
  assert.equal(typeof result.msg, 'string', answer.text);
  if (code !== undefined) assert.equal(result.code, code, answer.text);
}

test('POST /v1/cni refuses hostile namespaces, names and bodies; a real ADD/DEL still works', {
  ...needsRoot,
  timeout: 180_000,
}, async (t) => {
  const machineBefore = machineState();
  const daemon = await startDaemon(t, 'sec-cni');
  const hostBefore = namespaceState(daemon.hostNetns);
  const steady = neighbour(daemon, '10.153.0.0/24');
  t.after(() => steady.stop());
  const plainFile = join(daemon.host.dir, 'not-a-namespace');
  writeFileSync(plainFile, 'x');
  const netns = createNetns(dirname(daemon.hostNetns), `cni-sec-${process.pid}`).path as string;
  // The host's cleanup (an earlier after hook) deletes it too.
  t.after(() => {
    if (existsSync(netns)) deleteNetns(netns);
  });
  // As a runtime hands it over: lo up (the embedded DNS listens there).
  execFileSync('nsenter', [`--net=${netns}`, 'ip', 'link', 'set', 'lo', 'up']);

  /** Nothing of the refused calls is left: no sandbox but the neighbour's, no endpoint on cnisec. */
  const assertNothingLeft = async (what: string) => {
    const sandboxes = await daemon.api.get<SandboxView[]>('/v1/sandboxes');
    assert.deepEqual(
      sandboxes.filter((s) => !s.containerId.startsWith('nb-')).map((s) => s.containerId),
      [],
      what,
    );
    const endpoints = await daemon.api.get<EndpointView[]>('/v1/networks/cnisec/endpoints').catch(() => []);
    assert.deepEqual(
      endpoints.map((e) => e.name),
      [],
      what,
    );
  };

  const hostile: Array<[string, Record<string, string>, number | undefined]> = [
    ['a plain file', { CNI_CONTAINERID: 'c1', CNI_NETNS: plainFile }, undefined],
    ['a missing path', { CNI_CONTAINERID: 'c2', CNI_NETNS: join(daemon.host.dir, 'missing') }, undefined],
    ['a relative path to /proc/1/ns/net', { CNI_CONTAINERID: 'c3', CNI_NETNS: '../../../../proc/1/ns/net' }, undefined],
    ["the daemon's host namespace", { CNI_CONTAINERID: 'c4', CNI_NETNS: daemon.hostNetns }, undefined],
    ["the machine's namespace", { CNI_CONTAINERID: 'c5', CNI_NETNS: '/proc/1/ns/net' }, undefined],
    ['a traversing interface name', { CNI_CONTAINERID: 'c6', CNI_NETNS: netns, CNI_IFNAME: '../eth0' }, 4],
    ['an interface name over 15 bytes', { CNI_CONTAINERID: 'c7', CNI_NETNS: netns, CNI_IFNAME: 'e'.repeat(16) }, 4],
  ];
  for (const [what, env, code] of hostile) {
    cniError(await cni(daemon, 'ADD', env), code);
    await assertNothingLeft(what);
  }

  // A container id that climbs out of a directory names nothing on disk: its endpoint name is
  // sanitised, the sandbox is a record; DEL removes what ADD made.
  const traversal = '../../../../etc/wasmnet-cni-sec';
  const hasEth0 = () => ipJson<Array<{ ifname: string }>>(netns, 'link', 'show').some((l) => l.ifname === 'eth0');
  const added = await cni(daemon, 'ADD', { CNI_CONTAINERID: traversal, CNI_NETNS: netns });
  if (added.exitCode === 0) {
    assert.ok(hasEth0());
    const del = await cni(daemon, 'DEL', { CNI_CONTAINERID: traversal, CNI_NETNS: netns });
    assert.equal(del.exitCode, 0, del.text);
  } else cniError(added);
  assert.ok(!hasEth0());
  await assertNothingLeft('a traversing container id');

  const bodies: Array<[string, string, number]> = [
    ['malformed JSON', '{"env":', 400],
    ['an unknown field', JSON.stringify({ env: {}, stdin: '', extra: 1 }), 400],
    ['a missing stdin', JSON.stringify({ env: { CNI_COMMAND: 'ADD' } }), 400],
    ['a body over 64 KiB', JSON.stringify({ env: {}, stdin: 'x'.repeat(70_000) }), 413],
  ];
  for (const [what, body, status] of bodies) {
    const answer = await post(daemon, body);
    assert.equal(answer.status, status, `${what}: ${answer.text}`);
    assert.equal(answer.exitCode, undefined, `${what}: nothing was run`);
  }
  await assertNothingLeft('bad bodies');

  // The daemon still serves a real call: ADD plumbs the namespace, DEL twice succeeds.
  const add = await cni(daemon, 'ADD', { CNI_CONTAINERID: 'good', CNI_NETNS: netns });
  assert.equal(add.exitCode, 0, add.text);
  const result = JSON.parse(add.text) as { ips: Array<{ address: string }> };
  assert.match(result.ips[0]!.address, /^10\.153\.1\.\d+\/24$/);
  assert.ok(hasEth0());
  for (let i = 0; i < 2; i++) {
    const del = await cni(daemon, 'DEL', { CNI_CONTAINERID: 'good', CNI_NETNS: netns });
    assert.equal(del.exitCode, 0, del.text);
    assert.equal(del.text, '');
  }
  assert.ok(!hasEth0());
  await assertNothingLeft('after DEL');
  await daemon.api.delete('/v1/networks/cnisec');

  await assertUnharmed({ daemon, steady, hostBefore, machineBefore });
});
