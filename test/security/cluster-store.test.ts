// Attack: what another cluster member (or anyone with the etcd) writes. A daemon in cluster mode
// meets garbage node records, network specs that are not JSON, are 1 MiB, name another id, or
// ask for a local bridge network (a peer may only share global networks), and oversized table
// entries: each is refused with a bounded warning; no network appears; the daemon stays up; the
// neighbour on the built-in bridge keeps working; the host namespace is unchanged.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { etcdClient } from '../../host/cluster/index.js';
import { haveEtcd, startEtcd } from '../support/etcd.js';
import { needsRoot } from '../support/root.js';
import { assertUnharmed, machineState, namespaceState, neighbour, startDaemon } from './harness.js';
import { waitFor } from '../cluster/support.js';

const skip = needsRoot.skip || ((await haveEtcd()) ? false : 'etcd is not installed');
const ID = 'ab'.repeat(32);

test('hostile cluster records are refused; the daemon, the neighbour and the host are unaffected', {
  skip,
  timeout: 120_000,
}, async (t) => {
  const etcd = await startEtcd();
  const machineBefore = machineState();
  const daemon = await startDaemon(t, 'sec-cluster', [
    '--cluster-store',
    etcd.clusterStore,
    '--advertise-addr',
    '192.0.2.1',
    '--node-name',
    'victim',
  ]);
  // After the daemon's own after hook (registered first): etcd stops once the daemon is gone.
  t.after(() => etcd.stop());
  const hostBefore = namespaceState(daemon.hostNetns);
  const attacker = etcdClient(etcd.endpoints);
  t.after(() => attacker.close());
  // The daemon is a node: its record is there, under its lease.
  await waitFor('the node record', () => daemon.logs().includes('controller started'));
  assert.match((await attacker.get('/wasmnet/nodes/victim').string()) ?? '', /"address":"192.0.2.1"/);

  const steady = neighbour(daemon, '10.153.0.0/24');
  try {
    const spec = {
      id: ID,
      name: 'stolen',
      type: 'bridge',
      enableIPv6: false,
      internal: false,
      labels: {},
      driverOptions: {},
      ipamDriver: 'default',
      ipamOptions: {},
      ipv4: [{ addressSpace: 'GlobalDefault', poolId: 'x', pool: '10.153.0.0/24', auxAddresses: {} }],
      ipv6: [],
    };
    const writes: Array<[string, string]> = [
      ['/wasmnet/nodes/garbage', 'not json \u001b[2J'],
      ['/wasmnet/nodes/liar', JSON.stringify({ name: 'liar', address: 'nope', bindAddress: '1.2.3.4' })],
      ['/wasmnet/nodes/huge', 'x'.repeat(1 << 20)],
      ['/wasmnet/networks/garbage', '{{{'],
      ['/wasmnet/networks/huge', JSON.stringify({ ...spec, labels: { a: 'x'.repeat(1 << 20) } })],
      ['/wasmnet/networks/other', JSON.stringify(spec)],
      [`/wasmnet/networks/${ID}`, JSON.stringify(spec)],
      [
        `/wasmnet/networks/${'cd'.repeat(32)}`,
        JSON.stringify({ ...spec, id: 'cd'.repeat(32), type: 'nope\u001b[31m' }),
      ],
      ['/wasmnet/tables/n/t/k', 'x'.repeat(1 << 20)],
    ];
    for (const [key, value] of writes) await attacker.put(key).value(value).exec();
    await waitFor('the refusals', () => (daemon.logs().match(/cluster: /g) ?? []).length >= 6);
    const networks = (await daemon.api.get('/v1/networks')) as Array<{ name: string }>;
    assert.deepEqual(
      networks.map((network) => network.name).filter((name) => !name.startsWith('neighbour')),
      [],
    );
    // Bounded and escaped: no 1 MiB line, no terminal escapes in the logs.
    for (const line of daemon.logs().split('\n')) assert.ok(line.length < 4096, `a ${line.length}-character log line`);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    assert.doesNotMatch(daemon.logs(), /\u001b/);
  } finally {
    await steady.stop();
  }
  assert.equal(daemon.child.exitCode, null, 'the daemon is still up');
  await assertUnharmed({ daemon, steady, hostBefore, machineBefore });
});
