// Every WIT type the contract uses crosses the generated canonical ABI four times (host →
// guest export → host import → guest → host) and must come back equal. componentNew checks
// flat signatures but not memory offsets: this suite is the guard for the generated glue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HostError, MockHost, MockInterfaceInfo, MockJoinInfo, errorOf, instantiateComponent } from '@wasmnet/sdk';
import { buildRoundtrip } from './fixtures.js';

type Echo = Record<string, (...args: unknown[]) => unknown>;

const ERROR_TAGS = [
  'invalid-parameter',
  'not-found',
  'forbidden',
  'no-service',
  'not-implemented',
  'internal',
  'retry',
];
const LARGE = 'x'.repeat(100_000);
const UNICODE = 'héllo wörld ✓ 日本語 🎉 \u0000 end';
const U64_MAX = 2n ** 64n - 1n;

/** The functions whose result is a WIT `result`: the host answers ok by returning, err by throwing. */
const RESULT_FUNCS = new Set(['echoResultUnit', 'echoResultU32', 'echoResultLinks', 'echoIpamResult']);

async function load(): Promise<{ echo: Echo; seen: unknown[][] }> {
  const component = await buildRoundtrip();
  const seen: unknown[][] = [];
  const host: Record<string, (...args: unknown[]) => unknown> = {};
  const names = [
    'echoString',
    'echoBytes',
    'echoStrings',
    'echoOptions',
    'echoOptString',
    'echoOptU16',
    'echoOptBool',
    'echoU64',
    'echoS32',
    'echoU32',
    'echoBool',
    'echoError',
    'echoResultUnit',
    'echoResultU32',
    'echoResultLinks',
    'echoNetns',
    'echoLinkSpec',
    'echoLinkChange',
    'echoRoute',
    'echoSysctl',
    'echoEvent',
    'echoCapability',
    'echoIpamData',
    'echoDiscovery',
    'echoPoolRequest',
    'echoIpamResult',
    'echoSummary',
    'echoTuple',
    'echoSpread',
    'macOf',
    'setMac',
    'setNames',
  ];
  for (const name of names) {
    host[name] = (...args: unknown[]) => {
      seen.push(args);
      if (name === 'macOf') return (args[0] as MockInterfaceInfo).macAddress();
      if (name === 'echoTuple' || name === 'echoSpread') return args;
      const [value] = args as [{ tag: string; val: unknown }];
      if (!RESULT_FUNCS.has(name)) return value;
      if (value.tag === 'err') throw new HostError(value.val);
      return value.val;
    };
  }
  const imports = { ...new MockHost().imports(), 'wasmnet:driver/echo-host': host };
  const exports = await instantiateComponent<{ echo: Echo }>(component, imports);
  return { echo: exports.echo, seen };
}

const echoing = load();

/** Sends each value through `name` and expects it back unchanged. */
async function roundtrip(name: string, values: unknown[]): Promise<void> {
  const { echo } = await echoing;
  const fn = echo[name];
  assert.ok(fn, `export ${name}`);
  for (const value of values) assert.deepStrictEqual(fn(value), value, `${name}(${describe(value)})`);
}

function describe(value: unknown): string {
  const text = JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  return text === undefined ? String(value) : text.slice(0, 80);
}

test('strings: empty, ASCII, non-ASCII, NUL, 100 kB', () => roundtrip('echoString', ['', 'a', UNICODE, LARGE]));

test('list<u8>: empty, every byte value, 70 kB', () =>
  roundtrip('echoBytes', [
    new Uint8Array(0),
    Uint8Array.from({ length: 256 }, (_, i) => i),
    new Uint8Array(70_000).fill(7),
  ]));

test('list<string>: empty, empty items, non-ASCII, 1000 items', () =>
  roundtrip('echoStrings', [[], ['', 'a', UNICODE], Array.from({ length: 1000 }, (_, i) => `item-${i}`)]));

test('options (list<tuple<string, string>>)', () =>
  roundtrip('echoOptions', [
    [],
    [
      ['k', 'v'],
      ['', ''],
      ['ключ', '🎉'],
    ],
    Array.from({ length: 300 }, (_, i) => [`k${i}`, LARGE.slice(0, i)]),
  ]));

test('option<string>, option<u16>, option<bool>: none and some', async () => {
  await roundtrip('echoOptString', [undefined, '', UNICODE]);
  await roundtrip('echoOptU16', [undefined, 0, 65535]);
  await roundtrip('echoOptBool', [undefined, false, true]);
});

test('integers and bool at their extremes', async () => {
  await roundtrip('echoU64', [0n, 1n, 2n ** 32n, 2n ** 63n, U64_MAX]);
  await roundtrip('echoS32', [0, -1, -2147483648, 2147483647]);
  await roundtrip('echoU32', [0, 1, 4294967295]);
  await roundtrip('echoBool', [false, true]);
});

test('the error variant: every case', () =>
  roundtrip(
    'echoError',
    ERROR_TAGS.map((tag) => ({ tag, val: `${tag} ${UNICODE}` })),
  ));

test('result<_, error>, result<u32, error>, result<list<link-info>, error>: ok and every err', async () => {
  const { echo } = await echoing;
  const fn = (name: string) => echo[name] as (v: unknown) => unknown;
  assert.equal(fn('echoResultUnit')({ tag: 'ok', val: undefined }), undefined);
  assert.equal(fn('echoResultU32')({ tag: 'ok', val: 4294967295 }), 4294967295);
  const links = [
    { index: 7, name: 'br0', kind: 'bridge', mtu: 1500, mac: '02:42:ac:11:00:01', up: true, master: undefined },
    { index: 8, name: 'veth0', kind: 'veth', mtu: 9000, mac: undefined, up: false, master: 'br0' },
  ];
  assert.deepStrictEqual(fn('echoResultLinks')({ tag: 'ok', val: links }), links);
  assert.deepStrictEqual(fn('echoResultLinks')({ tag: 'ok', val: [] }), []);
  for (const tag of ERROR_TAGS) {
    const error = { tag, val: `failed: ${tag}` };
    for (const name of ['echoResultUnit', 'echoResultU32', 'echoResultLinks']) {
      assert.deepStrictEqual(
        errorOf(() => fn(name)({ tag: 'err', val: error })),
        error,
        `${name} err ${tag}`,
      );
    }
  }
});

test('netns variant: host and sandbox', () =>
  roundtrip('echoNetns', [
    { tag: 'host' },
    { tag: 'sandbox', val: '/var/run/netns/sb1' },
    { tag: 'sandbox', val: '' },
  ]));

const sandbox = { tag: 'sandbox', val: '/run/netns/x' };
const LINK_KINDS = [
  { tag: 'bridge' },
  { tag: 'veth', val: { name: 'eth0', netns: sandbox, mac: '02:42:00:00:00:01' } },
  { tag: 'veth', val: { name: 'p', netns: { tag: 'host' }, mac: undefined } },
  {
    tag: 'vxlan',
    val: { vni: 4294967295, local: '10.0.0.1', port: 4789, underlay: 'eth1', learning: true, proxy: false },
  },
  {
    tag: 'vxlan',
    val: { vni: 0, local: undefined, port: undefined, underlay: undefined, learning: false, proxy: true },
  },
  ...['private', 'vepa', 'bridge', 'passthru', 'source'].map((mode, i) => ({
    tag: 'macvlan',
    val: { parent: 'eth0', mode, netns: [undefined, sandbox, { tag: 'host' }][i % 3] },
  })),
  ...['l2', 'l3', 'l3s'].map((mode) => ({ tag: 'ipvlan', val: { parent: 'eth0', mode } })),
  { tag: 'dummy' },
];

test('link-spec (indirect parameters): every link-kind case, options none and some', () =>
  roundtrip(
    'echoLinkSpec',
    LINK_KINDS.flatMap((kind, i) => [
      { name: `l${i}`, kind, mtu: undefined, mac: undefined, master: undefined, up: false },
      { name: UNICODE, kind, mtu: 65535 + i, mac: '02:42:ac:11:00:02', master: 'br0', up: true },
    ]),
  ));

test('link-change: nested option<variant>', () =>
  roundtrip('echoLinkChange', [
    { up: undefined, master: undefined, mtu: undefined, mac: undefined, name: undefined },
    { up: false, master: { tag: 'unset' }, mtu: 0, mac: '', name: 'n' },
    { up: true, master: { tag: 'set', val: 'br-x' }, mtu: 4294967295, mac: '02:42:00:00:00:00', name: UNICODE },
  ]));

test('route, and the sysctl, event-type and scope enums: every case', async () => {
  await roundtrip(
    'echoRoute',
    ['universe', 'link', 'host'].flatMap((scope) => [
      { destination: undefined, gateway: '10.0.0.1', link: undefined, scope },
      { destination: 'fd00::/64', gateway: undefined, link: 'eth0', scope },
    ]),
  );
  await roundtrip('echoSysctl', [
    'ip-forward',
    'ipv6-forwarding',
    'disable-ipv6',
    'proxy-arp',
    'accept-ra',
    'arp-ignore',
    'rp-filter',
  ]);
  await roundtrip('echoEvent', ['create', 'update', 'delete']);
  await roundtrip('echoCapability', [
    { dataScope: 'local', connectivityScope: 'global', externalConnectivity: 'always' },
    { dataScope: 'global', connectivityScope: 'local', externalConnectivity: 'none' },
  ]);
});

test('list<ipam-data> with aux addresses', () =>
  roundtrip('echoIpamData', [
    [],
    [
      {
        addressSpace: 'LocalDefault',
        pool: '172.18.0.0/16',
        gateway: '172.18.0.1/16',
        auxAddresses: [['router', '172.18.0.2/16']],
      },
      { addressSpace: '', pool: 'fd00::/64', gateway: undefined, auxAddresses: [] },
    ],
  ]));

const KEY = { subsystem: 'ipsec', algorithm: -2147483648, key: Uint8Array.from([1, 2, 3]), lamportTime: U64_MAX };
const DISCOVERIES = [
  { tag: 'node', val: { address: '10.0.0.1', bindAddress: '0.0.0.0', self: true } },
  { tag: 'datastore-config', val: [['provider', 'etcd']] },
  { tag: 'encryption-keys-config', val: [] },
  {
    tag: 'encryption-keys-config',
    val: [KEY, { subsystem: '', algorithm: 2147483647, key: new Uint8Array(0), lamportTime: 0n }],
  },
  { tag: 'encryption-keys-update', val: { key: undefined, primary: undefined, prune: undefined } },
  { tag: 'encryption-keys-update', val: { key: KEY, primary: { ...KEY, lamportTime: 2n ** 63n }, prune: KEY } },
];

test('discovery (indirect, u64 in a joined i64 slot): every case', () => roundtrip('echoDiscovery', DISCOVERIES));

test('pool-request, table-entry-summary', async () => {
  await roundtrip('echoPoolRequest', [
    { addressSpace: 'GlobalDefault', pool: undefined, subPool: undefined, options: [], exclude: [], v6: false },
    {
      addressSpace: 'x',
      pool: '10.0.0.0/8',
      subPool: '10.1.0.0/16',
      options: [['a', 'b']],
      exclude: ['10.2.0.0/16', ''],
      v6: true,
    },
  ]);
  await roundtrip('echoSummary', [
    { name: '', fields: [] },
    { name: 'ep1', fields: [['mac', '02:42:00:00:00:01']] },
  ]);
});

test('result<address-response, ipam-error>: ok and every error code', async () => {
  const { echo } = await echoing;
  const fn = echo.echoIpamResult as (v: unknown) => unknown;
  const ok = { address: '172.18.0.2/16', data: [['k', 'v']] };
  assert.deepStrictEqual(fn({ tag: 'ok', val: ok }), ok);
  const codes = [
    'invalid-address-space',
    'invalid-pool',
    'invalid-sub-pool',
    'pool-not-found',
    'pool-overlap',
    'no-more-subnets',
    'no-available-ips',
    'ip-already-allocated',
    'ip-out-of-range',
    'bad-pool',
    'internal',
  ];
  for (const code of codes) {
    const error = { code, message: `m ${code}` };
    assert.deepStrictEqual(
      errorOf(() => fn({ tag: 'err', val: error })),
      error,
    );
  }
});

test('tuples and more than 16 flat parameters', async () => {
  const { echo } = await echoing;
  const tuple = ['a', U64_MAX, { tag: 'sandbox', val: 'k' }];
  assert.deepStrictEqual((echo.echoTuple as (...a: unknown[]) => unknown)(...tuple), tuple);
  const spec = { name: 'v', kind: LINK_KINDS[1], mtu: 1450, mac: undefined, master: 'br0', up: true };
  for (const discovery of DISCOVERIES) {
    const spread = [spec, UNICODE, discovery];
    assert.deepStrictEqual((echo.echoSpread as (...a: unknown[]) => unknown)(...spread), spread);
  }
});

test('borrowed resource handles: methods, handing one to an import, an owned handle dropped', async () => {
  const { echo, seen } = await echoing;
  const info = new MockInterfaceInfo({ mac: '02:42:ac:11:00:09' });
  assert.equal(echo.macOf?.(info), '02:42:ac:11:00:09');
  assert.equal(seen.at(-1)?.[0], info);
  assert.equal(echo.macOf?.(new MockInterfaceInfo()), undefined);
  const fresh = new MockInterfaceInfo();
  echo.setMac?.(fresh, '02:42:00:00:00:07');
  assert.equal(fresh.mac, '02:42:00:00:00:07');
  assert.equal((errorOf(() => echo.setMac?.(fresh, 'x')) as { tag: string }).tag, 'forbidden');
  const join = new MockJoinInfo();
  echo.setNames?.(join, 'veth1', 'eth');
  assert.deepStrictEqual(join.names, { srcName: 'veth1', dstPrefix: 'eth' });
});

test('guest memory is released: 2000 round trips of 50 kB fit in a 16 MiB memory', async () => {
  const { echo } = await echoing;
  const strings = Array.from({ length: 50 }, (_, i) => LARGE.slice(0, 1000 + i));
  for (let i = 0; i < 2000; i++) assert.equal((echo.echoStrings!(strings) as string[]).length, 50);
});
