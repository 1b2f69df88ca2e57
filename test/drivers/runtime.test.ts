import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DriverUnhealthy,
  Forbidden,
  InvalidParameter,
  LinkOwnership,
  NotFound,
  type Driver,
  type ReplayEvent,
} from '../../host/drivers/index.js';
import { ipamProbeComponent, probeComponent } from './fixtures.js';
import type { LinkSpec } from '../../host/generated/wit/network-driver/interfaces/wasmnet-driver-netlink.js';
import { makeRuntime, sleep, steadyStream } from './harness.js';

const driverOf = (runtime: ReturnType<typeof makeRuntime>['runtime'], name: string): Driver => {
  const entry = runtime.registry.driver(name);
  assert.ok(entry, `${name} is registered`);
  return entry.driver;
};

test('a well-behaved driver registers through the callback and answers calls with its effects', async () => {
  const { runtime } = makeRuntime();
  try {
    await runtime.load('probe', await probeComponent({ names: ['probe'] }));
    const entry = runtime.registry.driver('probe');
    assert.equal(entry?.owner, 'probe');
    assert.deepEqual(entry?.capability, {
      dataScope: 'local',
      connectivityScope: 'local',
      externalConnectivity: 'always',
    });
    const driver = entry!.driver;
    assert.equal(driver.type(), 'probe');
    assert.deepEqual(await driver.createNetwork('net1', [], [], []), { tables: [] });
    assert.deepEqual(await driver.createEndpoint('net1', 'ep1', { address: '10.0.0.2/24' }, []), {
      address: '10.0.0.2/24',
      mac: '02:42:ac:11:00:02',
    });
    await assert.rejects(
      driver.createEndpoint('net1', 'ep2', { mac: '02:00:00:00:00:01' }, []),
      (error: Error) => error instanceof Forbidden && /already has MAC/.test(error.message),
    );
    const join = await driver.join('net1', 'ep1', '/run/netns/sb1', []);
    assert.equal(join.gateway, '10.0.0.1');
    assert.deepEqual(await driver.endpointOperInfo('net1', 'ep1'), [['net1', 'net1']]);
    assert.deepEqual(await driver.decodeTableEntry('tbl', 'k', new Uint8Array()), { name: 'tbl', fields: [] });
    await driver.eventNotify('create', 'net1', 'tbl', 'k', new Uint8Array([1]));
  } finally {
    await runtime.close();
  }
});

test('a trap, a deadline miss, memory exhaustion and a huge result fail only that call; the instance comes back with its store', async () => {
  const replays: ReplayEvent[] = [];
  const { runtime } = makeRuntime({
    deadlineMs: 500,
    replay: async (event) => {
      replays.push(event);
    },
  });
  try {
    await runtime.load('bad', await probeComponent({ names: ['bad'] }));
    await runtime.load('good', await probeComponent({ names: ['good'] }));
    const bad = driverOf(runtime, 'bad');
    const steady = steadyStream(() => driverOf(runtime, 'good'));
    await bad.createNetwork('net1', [], [], []);
    const threadBefore = runtime.slot('bad')!.threadId;

    await assert.rejects(bad.networkFree('net1'), /networkFree trapped .*unreachable.*re-created/);
    assert.deepEqual(await bad.endpointOperInfo('net1', 'ep'), [['net1', 'net1']], 'store restored after the trap');
    assert.notEqual(runtime.slot('bad')!.threadId, threadBefore, 'a new worker serves the driver');

    // A good call between two faults: each fault is a first one, restarted at once.
    await assert.rejects(
      bad.discoverDelete({ tag: 'datastore-config', val: [] }),
      /discoverDelete exceeded its 500 ms deadline/,
    );
    assert.deepEqual(await bad.endpointOperInfo('net1', 'ep'), [['net1', 'net1']]);
    await assert.rejects(
      bad.discoverNew({ tag: 'datastore-config', val: [] }),
      /discoverNew ran out of memory \(cap 64 MiB\)/,
    );
    assert.deepEqual(await bad.endpointOperInfo('net1', 'ep'), [['net1', 'net1']]);
    await assert.rejects(bad.decodeTableEntry('t', 'k', new Uint8Array([8])), /over the 1048576-byte limit/);
    assert.deepEqual(await bad.endpointOperInfo('net1', 'ep'), [['net1', 'net1']]);

    assert.equal(replays.length, 3, 'the replay hook ran after each re-creation');
    assert.equal(replays[0]?.reason, 'restart');
    assert.deepEqual([...replays[0]!.drivers.keys()], ['bad']);
    assert.equal(runtime.slot('bad')!.health.healthy, true);
    const { ok, failures } = await steady.stop();
    assert.deepEqual(failures, []);
    assert.ok(ok > 0);
  } finally {
    await runtime.close();
  }
});

test("a replay hook set after the load gets the new instance's drivers, called directly while the faulting call waits", async () => {
  const { runtime } = makeRuntime();
  try {
    await runtime.ready();
    const slot = await runtime.load('amnesic', await probeComponent({ names: ['amnesic'] }));
    const seen: Array<{ reason: string; info: unknown; thread: number | undefined }> = [];
    runtime.setReplay(async (event) => {
      // The registry's driver would queue behind the call that faulted and never run.
      const info = await event.drivers.get('amnesic')!.driver.endpointOperInfo('n', 'e');
      seen.push({ reason: event.reason, info, thread: slot.threadId });
    });
    const before = slot.threadId;
    await assert.rejects(driverOf(runtime, 'amnesic').networkFree('n'), /trapped/);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.reason, 'restart');
    assert.deepEqual(seen[0]!.info, []);
    assert.equal(seen[0]!.thread, undefined, 'the replay runs before the new instance serves calls');
    assert.notEqual(slot.threadId, before);
    await runtime.upgrade('amnesic', await probeComponent({ names: ['amnesic'], version: 1 }));
    assert.deepEqual(
      seen.map((s) => s.reason),
      ['restart', 'upgrade'],
    );
    runtime.setReplay(undefined);
    await assert.rejects(driverOf(runtime, 'amnesic').networkFree('n'), /trapped/);
    assert.equal(seen.length, 2, 'a cleared hook is not called');
  } finally {
    await runtime.close();
  }
});

test('a driver that keeps failing backs off: calls fail fast with DriverUnhealthy, no restart loop', async () => {
  let replays = 0;
  const { runtime } = makeRuntime({
    unhealthyAfter: 2,
    backoffMs: 200,
    replay: async () => {
      replays++;
    },
  });
  try {
    const slot = await runtime.load('flaky', await probeComponent({ names: ['flaky'] }));
    const health: boolean[] = [];
    slot.on('health', (h) => health.push(h.healthy));
    const driver = driverOf(runtime, 'flaky');
    const unhealthy = (faults: number) => (error: Error) => {
      assert.ok(error instanceof DriverUnhealthy, `DriverUnhealthy, not ${error.name}: ${error.message}`);
      assert.equal(error.kind, 'no-service');
      assert.equal(error.consecutiveFaults, faults);
      assert.ok(error.retryAfterMs > 0 && error.retryAfterMs <= 200 * 2 ** (faults - 2));
      return true;
    };
    await assert.rejects(driver.networkFree('n'), /trapped/);
    assert.equal(replays, 1, 'the first fault is restarted at once');
    await assert.rejects(driver.networkFree('n'), /trapped/);
    assert.equal(slot.health.healthy, false);
    assert.ok(slot.health.retryAfterMs! > 0, 'the health says when the next restart may come');
    for (let i = 0; i < 20; i++) await assert.rejects(driver.endpointOperInfo('n', 'e'), unhealthy(2));
    assert.equal(replays, 1, 'no restart while backing off');
    await sleep(slot.health.retryAfterMs ?? 0);
    await assert.rejects(driver.networkFree('n'), /trapped/, 'after the backoff a call restarts it');
    assert.equal(replays, 2);
    await assert.rejects(driver.endpointOperInfo('n', 'e'), unhealthy(3));
    assert.equal(slot.health.consecutiveFaults, 3);
    assert.deepEqual(health, [true, false, false]);
    await sleep(slot.health.retryAfterMs ?? 0);
    assert.deepEqual(await driver.endpointOperInfo('n', 'e'), []);
    assert.equal(replays, 3, 'one restart per backoff, no loop');
    assert.equal(slot.health.healthy, true, 'a good call makes it healthy again');
  } finally {
    await runtime.close();
  }
});

test('a component registering an empty, duplicate or built-in name is refused and registers nothing', async () => {
  const { runtime } = makeRuntime({ registry: undefined });
  const registry = runtime.registry;
  try {
    await runtime.load('good', await probeComponent({ names: ['good'] }));
    const steady = steadyStream(() => driverOf(runtime, 'good'));
    await assert.rejects(
      runtime.load('empty', await probeComponent({ names: [''] })),
      (error: Error) => error instanceof InvalidParameter && /must not be empty/.test(error.message),
    );
    await assert.rejects(
      runtime.load('twice', await probeComponent({ names: ['twice', 'twice'] })),
      /already registered by this component/,
    );
    await runtime.load('first', await probeComponent({ names: ['shared'] }));
    await assert.rejects(
      runtime.load('second', await probeComponent({ names: ['second', 'shared'] })),
      /"shared" is already registered by first/,
    );
    assert.equal(registry.driver('second'), undefined);
    assert.deepEqual(runtime.owners, ['good', 'first']);
    const { ok, failures } = await steady.stop();
    assert.deepEqual(failures, []);
    assert.ok(ok > 0);
  } finally {
    await runtime.close();
  }
  const { DriverRegistry } = await import('../../host/drivers/index.js');
  const guarded = makeRuntime({ registry: new DriverRegistry({ builtins: { bridge: 'bridge' } }) });
  try {
    await assert.rejects(
      guarded.runtime.load('impostor', await probeComponent({ names: ['bridge'] })),
      /"bridge" is built in and cannot be taken by impostor/,
    );
    await guarded.runtime.load('bridge', await probeComponent({ names: ['bridge'] }));
    assert.equal(guarded.runtime.registry.driver('bridge')?.owner, 'bridge');
  } finally {
    await guarded.runtime.close();
  }
});

test('a component may register several network types and is called with each handle', async () => {
  const { runtime } = makeRuntime();
  try {
    await runtime.load('vlans', await probeComponent({ names: ['macvlan-x', 'ipvlan-x'] }));
    assert.equal(driverOf(runtime, 'macvlan-x').type(), 'macvlan-x');
    assert.equal(driverOf(runtime, 'ipvlan-x').type(), 'ipvlan-x');
    assert.deepEqual(
      runtime.slot('vlans')!.registrations.map((r) => [r.name, r.handle]),
      [
        ['macvlan-x', 1],
        ['ipvlan-x', 2],
      ],
    );
  } finally {
    await runtime.close();
  }
});

test("netlink: the host's lo and eth0, another driver's bridge and a sandbox not being joined are forbidden", async () => {
  const ownership = new LinkOwnership();
  ownership.registry.recordLink('other', { tag: 'host' }, 'br-other');
  ownership.registry.recordLink('nosy', { tag: 'host' }, 'veth-own');
  ownership.registry.recordLink('nosy', { tag: 'sandbox', val: 'sb-own' }, 'eth9');
  const { runtime, plumbing } = makeRuntime({ ownership });
  try {
    await runtime.load('nosy', await probeComponent({ names: ['nosy'] }));
    await runtime.load('good', await probeComponent({ names: ['good'] }));
    const nosy = driverOf(runtime, 'nosy');
    const steady = steadyStream(() => driverOf(runtime, 'good'));
    await assert.rejects(
      nosy.programExternalConnectivity('net', 'lo', []),
      (error: Error) =>
        error instanceof Forbidden &&
        /may not delete link lo in the host namespace: the loopback link belongs to the host/.test(error.message),
    );
    await assert.rejects(
      nosy.programExternalConnectivity('net', 'eth0', []),
      /may not delete link eth0 in the host namespace: the link was not created by a driver/,
    );
    await assert.rejects(
      nosy.programExternalConnectivity('net', 'br-other', []),
      /link br-other in the host namespace: the link belongs to driver other/,
    );
    await assert.rejects(
      nosy.revokeExternalConnectivity('sb-foreign', 'eth0'),
      /in sandbox sb-foreign: it is not joining that sandbox/,
    );
    await assert.rejects(
      nosy.revokeExternalConnectivity('sb-own', 'eth9'),
      /it is not joining that sandbox/,
      'outside a join even its own sandbox is off limits',
    );
    assert.deepEqual(plumbing.calls, [], 'nothing reached the plumbing');
    await nosy.join('net', 'ep', 'sb-own', []);
    await nosy.revokeExternalConnectivity('sb-own', 'eth9');
    await nosy.leave('net', 'ep');
    await assert.rejects(
      nosy.revokeExternalConnectivity('sb-own', 'eth9'),
      /not joining/,
      'the right ends with the leave',
    );
    await nosy.programExternalConnectivity('net', 'veth-own', []);
    assert.deepEqual(plumbing.calls, [
      { op: 'linkDel', args: [{ tag: 'sandbox', val: 'sb-own' }, 'eth9'] },
      { op: 'linkDel', args: [{ tag: 'host' }, 'veth-own'] },
    ]);
    assert.equal(ownership.registry.owner({ tag: 'host' }, 'veth-own'), undefined, 'the deleted link is forgotten');
    const { failures } = await steady.stop();
    assert.deepEqual(failures, []);
  } finally {
    await runtime.close();
  }
});

test('ownership check: links created in a joined sandbox, parents named by the network, enslaving', () => {
  const ownership = new LinkOwnership();
  const host = { tag: 'host' } as const;
  const sb1 = { tag: 'sandbox', val: 'sb1' } as const;
  ownership.registry.join('br', 'sb1');
  ownership.registry.grantParent('br', 'eth1');
  const bridge: LinkSpec = { name: 'br0', kind: { tag: 'bridge' }, up: true };
  ownership.check({ driver: 'br', pools: [], maxLinks: 16 }, { op: 'linkAdd', args: [host, bridge] });
  ownership.record('br', { op: 'linkAdd', args: [host, bridge] });
  const veth: LinkSpec = {
    name: 'veth0',
    kind: { tag: 'veth', val: { name: 'eth0', netns: sb1 } },
    master: 'br0',
    up: true,
  };
  ownership.check({ driver: 'br', pools: [], maxLinks: 16 }, { op: 'linkAdd', args: [host, veth] });
  ownership.record('br', { op: 'linkAdd', args: [host, veth] });
  assert.throws(
    () =>
      ownership.check(
        { driver: 'x', pools: [], maxLinks: 16 },
        { op: 'linkAdd', args: [host, { ...veth, name: 'veth9', kind: { tag: 'dummy' } }] },
      ),
    /may not master link br0/,
  );
  ownership.check(
    { driver: 'br', pools: [], maxLinks: 16 },
    { op: 'addrAdd', args: [sb1, { link: 'eth0', cidr: '10.0.0.2/24', nodad: false }] },
  );
  ownership.check(
    { driver: 'br', pools: [], maxLinks: 16 },
    { op: 'routeAdd', args: [sb1, { gateway: '10.0.0.1', scope: 'universe' }] },
  );
  assert.throws(
    () =>
      ownership.check(
        { driver: 'br', pools: [], maxLinks: 16 },
        { op: 'routeAdd', args: [host, { gateway: '10.0.0.1', scope: 'universe' }] },
      ),
    Forbidden,
  );
  ownership.check(
    { driver: 'br', pools: [], maxLinks: 16 },
    {
      op: 'linkAdd',
      args: [host, { name: 'mv0', kind: { tag: 'macvlan', val: { parent: 'eth1', mode: 'bridge' } }, up: true }],
    },
  );
  assert.throws(
    () =>
      ownership.check(
        { driver: 'br', pools: [], maxLinks: 16 },
        {
          op: 'linkAdd',
          args: [host, { name: 'mv1', kind: { tag: 'macvlan', val: { parent: 'eth2', mode: 'bridge' } }, up: true }],
        },
      ),
    /may not parent link eth2/,
  );
  // A macvlan created inside a sandbox: only one the driver is joining; recorded there.
  const inSandbox = (name: string, netns: typeof sb1 | { tag: 'sandbox'; val: string }): LinkSpec => ({
    name,
    kind: { tag: 'macvlan', val: { parent: 'eth1', mode: 'bridge', netns } },
    up: false,
  });
  ownership.check({ driver: 'br', pools: [], maxLinks: 16 }, { op: 'linkAdd', args: [host, inSandbox('mv2', sb1)] });
  ownership.record('br', { op: 'linkAdd', args: [host, inSandbox('mv2', sb1)] });
  assert.equal(ownership.registry.owner(sb1, 'mv2'), 'br');
  assert.equal(ownership.registry.owner(host, 'mv2'), undefined);
  assert.throws(
    () =>
      ownership.check(
        { driver: 'br', pools: [], maxLinks: 16 },
        { op: 'linkAdd', args: [host, inSandbox('mv3', { tag: 'sandbox', val: 'sb2' })] },
      ),
    /may not create link mv3 in sandbox sb2: it is not joining that sandbox/,
  );
  assert.throws(
    () =>
      ownership.check({ driver: 'x', pools: [], maxLinks: 16 }, { op: 'linkSet', args: [host, 'br0', { up: false }] }),
    /belongs to driver br/,
  );
  assert.throws(
    () =>
      ownership.check(
        { driver: 'br', pools: [], maxLinks: 16 },
        { op: 'sysctlSet', args: [host, 'rp-filter', undefined, '0'] },
      ),
    /may not set sysctl rp-filter host-wide/,
  );
  assert.throws(
    () =>
      ownership.check(
        { driver: 'br', pools: [], maxLinks: 16 },
        { op: 'sysctlSet', args: [host, 'ip-forward', undefined, '0'] },
      ),
    /may only turn ip-forward on host-wide/,
  );
  ownership.check(
    { driver: 'br', pools: [], maxLinks: 16 },
    { op: 'sysctlSet', args: [host, 'ip-forward', undefined, '1'] },
  );
  ownership.record('br', { op: 'linkSet', args: [host, 'br0', { name: 'br1' }] });
  assert.deepEqual(ownership.registry.linksOf('br', host).sort(), ['br1', 'veth0']);
});

test('calls to one driver are serialized, different drivers run in parallel', async () => {
  const { runtime } = makeRuntime({ deadlineMs: 400 });
  try {
    await runtime.load('slow', await probeComponent({ names: ['slow'] }));
    await runtime.load('fast', await probeComponent({ names: ['fast'] }));
    const slow = driverOf(runtime, 'slow');
    const order: string[] = [];
    const hang = slow.discoverDelete({ tag: 'datastore-config', val: [] }).catch(() => order.push('hang failed'));
    const queued = slow.endpointOperInfo('n', 'e').then(() => order.push('queued call ran'));
    await driverOf(runtime, 'fast').endpointOperInfo('n', 'e');
    order.push('other driver answered');
    await Promise.all([hang, queued]);
    assert.deepEqual(order, ['other driver answered', 'hang failed', 'queued call ran']);
  } finally {
    await runtime.close();
  }
});

test('a Wasm IPAM driver is registered through the ipam callback and served through the Ipam interface', async () => {
  const { runtime } = makeRuntime();
  try {
    await runtime.load('ipam-probe', await ipamProbeComponent('wasm-ipam'));
    const entry = runtime.registry.ipam('wasm-ipam');
    assert.equal(entry?.owner, 'ipam-probe');
    assert.deepEqual(entry?.capability, { requiresMacAddress: false, requiresRequestReplay: true });
    assert.deepEqual(await entry!.ipam.getDefaultAddressSpaces(), { localDefault: 'local', globalDefault: 'global' });
    await assert.rejects(
      entry!.ipam.releasePool('pool-7'),
      (error: Error) => error instanceof NotFound && error.message === 'pool-not-found: pool-7',
    );
    await entry!.ipam.releaseAddress('pool-7', '10.0.0.2');
    await assert.rejects(entry!.ipam.requestAddress('pool-7', undefined, []), /requestAddress trapped/);
    assert.deepEqual(await entry!.ipam.getDefaultAddressSpaces(), { localDefault: 'local', globalDefault: 'global' });
  } finally {
    await runtime.close();
  }
});
