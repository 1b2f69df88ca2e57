// Attack: sandbox keys (`externalKey`, the CLI's --netns, CNI_NETNS) that are not a namespace of
// the caller's own: a FIFO, a plain file, a missing path, the daemon's host namespace, the
// machine's, another sandbox's; a caller's namespace with its own default route; one that
// already has the interface name asked for. Each is refused with a typed error (or, for the
// default route, left alone with a warning), nothing leaks, the daemon keeps answering, the
// neighbour on the built-in bridge never fails and the host namespace is unchanged.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { ApiClient, ApiClientError } from '../../host/api/client.js';
import type { SandboxView } from '../../host/api/port.js';
import { createNetns, deleteNetns } from '../../host/netlink/index.js';
import { ipJson } from '../netlink/helpers.js';
import { assertUnharmed, machineState, namespaceState, neighbour, startDaemon, type Daemon } from './harness.js';
import { needsRoot } from '../support/root.js';

/** A namespace of the test's own, next to the daemon's host namespace (the host's cleanup deletes it too). */
function makeNetns(
  t: { after(fn: () => unknown): void },
  daemon: Daemon,
  name: string,
  setup: string[][] = [],
): string {
  const netns = createNetns(dirname(daemon.hostNetns), `${name}-${process.pid}`);
  const path = netns.path as string;
  t.after(() => {
    if (existsSync(path)) deleteNetns(path);
  });
  for (const args of setup) execFileSync('nsenter', [`--net=${path}`, 'ip', ...args]);
  return path;
}

/** Asserts that `call` is refused with a 4xx of `code` (when given) within the client's timeout. */
async function refused(call: Promise<unknown>, status: number, code?: string): Promise<void> {
  await assert.rejects(call, (error: unknown) => {
    assert.ok(error instanceof ApiClientError, String(error));
    assert.equal(error.status, status, `${error.code}: ${error.message}`);
    if (code !== undefined) assert.equal(error.code, code, error.message);
    return true;
  });
}

test('sandbox keys that are not a caller namespace are refused; the daemon never blocks', {
  ...needsRoot,
  timeout: 180_000,
}, async (t) => {
  const machineBefore = machineState();
  const daemon = await startDaemon(t, 'sec-nsp');
  const hostBefore = namespaceState(daemon.hostNetns);
  // A blocked event loop shows as a timeout here, long before the test's.
  const api = new ApiClient(daemon.socket, 5_000);
  const steady = neighbour(daemon, '10.152.0.0/24');
  t.after(() => steady.stop());
  await api.post('/v1/networks', { name: 'target', ipam: { config: [{ subnet: '10.152.1.0/24' }] } });

  await t.test('a FIFO is never opened (item 10)', async () => {
    const fifo = join(daemon.host.dir, 'fifo-key');
    execFileSync('mkfifo', [fifo]);
    await refused(api.post('/v1/sandboxes', { containerId: 'fifo', externalKey: fifo }), 400, 'invalid-sandbox-key');
    // Missing when the sandbox is made (as dockerd's key is), a FIFO when it is first used.
    const late = join(daemon.host.dir, 'late-fifo-key');
    const sandbox = await api.post<SandboxView>('/v1/sandboxes', { containerId: 'late-fifo', externalKey: late });
    execFileSync('mkfifo', [late]);
    await api.post('/v1/networks/target/endpoints', { name: 'ep-fifo' });
    await refused(
      api.post('/v1/networks/target/endpoints/ep-fifo/join', { sandbox: sandbox.id, interfaceName: 'wn0' }),
      400,
      'invalid-sandbox-key',
    );
    assert.deepEqual(await api.get('/_ping'), { ok: true });
    await api.delete('/v1/networks/target/endpoints/ep-fifo');
    await api.delete(`/v1/sandboxes/${sandbox.id}`);
  });

  await t.test('files, missing paths, the host namespaces and a taken namespace are refused (item 9)', async () => {
    const plain = join(daemon.host.dir, 'plain-key');
    writeFileSync(plain, 'not a namespace');
    await refused(api.post('/v1/sandboxes', { containerId: 'plain', externalKey: plain }), 400, 'invalid-sandbox-key');
    await refused(
      api.post('/v1/sandboxes', { containerId: 'dir', externalKey: daemon.host.dir }),
      400,
      'invalid-sandbox-key',
    );
    await refused(
      api.post('/v1/sandboxes', { containerId: 'host', externalKey: daemon.hostNetns }),
      403,
      'host-namespace',
    );
    // The daemon's own namespace, by any path to it: the machine's, here.
    await refused(
      api.post('/v1/sandboxes', { containerId: 'self', externalKey: `/proc/${daemon.child.pid}/ns/net` }),
      403,
      'host-namespace',
    );
    const own = await api.post<SandboxView>('/v1/sandboxes', { containerId: 'own' });
    await refused(api.post('/v1/sandboxes', { containerId: 'steal', externalKey: own.key }), 403, 'namespace-in-use');
    const caller = makeNetns(t, daemon, 'caller');
    const first = await api.post<SandboxView>('/v1/sandboxes', { containerId: 'first', externalKey: caller });
    await refused(api.post('/v1/sandboxes', { containerId: 'twice', externalKey: caller }), 403, 'namespace-in-use');
    await api.delete(`/v1/sandboxes/${first.id}`);
    const again = await api.post<SandboxView>('/v1/sandboxes', { containerId: 'again', externalKey: caller });
    await api.delete(`/v1/sandboxes/${again.id}`);
    await api.delete(`/v1/sandboxes/${own.id}`);
    // Missing at creation (allowed: dockerd's key appears later), still missing at the join.
    const missing = await api.post<SandboxView>('/v1/sandboxes', {
      containerId: 'missing',
      externalKey: join(daemon.host.dir, 'no-such-namespace'),
    });
    await api.post('/v1/networks/target/endpoints', { name: 'ep-missing' });
    await refused(
      api.post('/v1/networks/target/endpoints/ep-missing/join', { sandbox: missing.id, interfaceName: 'wn0' }),
      400,
      'invalid-sandbox-key',
    );
    await api.delete('/v1/networks/target/endpoints/ep-missing');
    await api.delete(`/v1/sandboxes/${missing.id}`);
  });

  await t.test("a caller's default route is never deleted (item 9)", async () => {
    // The caller's own uplink: a veth pair inside its namespace, with a default route.
    const caller = makeNetns(t, daemon, 'routed', [
      ['link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'up1'],
      ['addr', 'add', '10.152.9.2/24', 'dev', 'up0'],
      ['link', 'set', 'up0', 'up'],
      ['link', 'set', 'up1', 'up'],
      ['route', 'add', 'default', 'via', '10.152.9.1'],
    ]);
    const defaults = (): string[] =>
      ipJson<{ dst: string; gateway?: string; dev: string }[]>(caller, 'route', 'show', 'default').map(
        (route) => `${route.gateway} ${route.dev}`,
      );
    assert.deepEqual(defaults(), ['10.152.9.1 up0']);
    const sandbox = await api.post<SandboxView>('/v1/sandboxes', { containerId: 'routed', externalKey: caller });
    await api.post('/v1/networks/target/endpoints', { name: 'ep-routed' });
    await api.post('/v1/networks/target/endpoints/ep-routed/join', { sandbox: sandbox.id, interfaceName: 'wn0' });
    assert.deepEqual(defaults(), ['10.152.9.1 up0'], 'the join kept the caller default route and added none');
    assert.match(daemon.logs(), /default route wasmnet did not add/);
    await api.post('/v1/networks/target/endpoints/ep-routed/leave', { sandbox: sandbox.id });
    assert.deepEqual(defaults(), ['10.152.9.1 up0'], 'the leave kept it too');
    await api.delete('/v1/networks/target/endpoints/ep-routed');
    await api.delete(`/v1/sandboxes/${sandbox.id}`);
  });

  await t.test('a name taken in the caller namespace is refused before anything is made (item 11)', async () => {
    const caller = makeNetns(t, daemon, 'taken', [['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth9']]);
    const callerBefore = namespaceState(caller);
    const sandbox = await api.post<SandboxView>('/v1/sandboxes', { containerId: 'taken', externalKey: caller });
    await api.post('/v1/networks/target/endpoints', { name: 'ep-taken' });
    for (let retry = 0; retry < 3; retry++)
      await refused(
        api.post('/v1/networks/target/endpoints/ep-taken/join', { sandbox: sandbox.id, interfaceName: 'eth0' }),
        403,
        'interface-exists',
      );
    assert.equal(namespaceState(caller), callerBefore);
    await api.post('/v1/networks/target/endpoints/ep-taken/join', { sandbox: sandbox.id, interfaceName: 'eth1' });
    await api.post('/v1/networks/target/endpoints/ep-taken/leave', { sandbox: sandbox.id });
    await api.delete('/v1/networks/target/endpoints/ep-taken');
    await api.delete(`/v1/sandboxes/${sandbox.id}`);
    assert.equal(namespaceState(caller), callerBefore);
  });

  await api.delete('/v1/networks/target');
  await assertUnharmed({ daemon, steady, hostBefore, machineBefore });
});
