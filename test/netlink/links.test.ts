// Links, addresses, routes, neighbours, fdb and sysctls in a private "host" namespace,
// read back by netlink dumps and independently with iproute2's JSON output.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createNetns,
  deleteNetns,
  InvalidInputError,
  NetlinkError,
  Rollback,
  sysctlGet,
  sysctlSet,
} from '../../host/netlink/index.js';
import { ipJson, ipState, makeHost, nsExec, type TestHost } from './helpers.js';
import { needsRoot } from '../support/root.js';

interface IpLink {
  ifname: string;
  mtu: number;
  address: string;
  master?: string;
  flags: string[];
  linkinfo?: { info_kind: string; info_data?: Record<string, unknown> };
}

const isErrno = (name: string) => (e: unknown) => e instanceof NetlinkError && e.errnoName === name;
// Some kernels (e.g. minimal VM kernels) lack dummy or ipvlan: those tests skip with the reason.
const unsupported = (e: unknown) => e instanceof NetlinkError && e.errnoName === 'EOPNOTSUPP';
// A plain link to hang things on, on every kernel: one end of a veth pair.
const plain = (name: string) => ({ name, kind: { tag: 'veth' as const, val: { name: `${name}p` } }, up: true });

describe('links', needsRoot, () => {
  let t: TestHost;
  before(() => {
    t = makeHost();
  });
  after(() => t.cleanup());
  const ipLink = (name: string): IpLink =>
    ipJson<IpLink[]>(t.host.path as string, '-d', 'link', 'show', name)[0] as IpLink;

  it('creates a dummy link', (ctx) => {
    try {
      t.rtnl.linkAdd({ name: 'dm0', kind: { tag: 'dummy' }, up: true });
    } catch (error) {
      if (unsupported(error)) return ctx.skip(`kernel has no dummy links: ${String(error)}`);
      throw error;
    }
    assert.equal(ipLink('dm0').linkinfo?.info_kind, 'dummy');
    assert.equal(t.rtnl.linkGet('dm0').kind, 'dummy');
    t.rtnl.linkDel('dm0');
  });

  it('creates an ipvlan link', (ctx) => {
    t.rtnl.linkAdd(plain('ipar0'));
    try {
      t.rtnl.linkAdd({ name: 'ipv0', kind: { tag: 'ipvlan', val: { parent: 'ipar0', mode: 'l3' } }, up: false });
    } catch (error) {
      if (unsupported(error)) return ctx.skip(`kernel has no ipvlan links: ${String(error)}`);
      throw error;
    }
    assert.equal(t.rtnl.linkGet('ipv0').kind, 'ipvlan');
    t.rtnl.linkDel('ipv0');
  });

  it('creates bridge, veth, vxlan and macvlan links', () => {
    const { rtnl } = t;
    const br = rtnl.linkAdd({ name: 'br0', kind: { tag: 'bridge' }, up: true, mtu: 1450 });
    assert.equal(br.kind, 'bridge');
    assert.ok(br.index > 1);
    rtnl.linkAdd(plain('under0'));
    rtnl.linkAdd({
      name: 'vx0',
      kind: { tag: 'vxlan', val: { vni: 42, local: '10.9.0.1', underlay: 'under0', learning: false, proxy: true } },
      up: false,
      master: 'br0',
    });
    rtnl.linkAdd({
      name: 'mv0',
      kind: { tag: 'macvlan', val: { parent: 'under0', mode: 'bridge' } },
      up: true,
      mac: '02:00:00:00:aa:01',
    });

    const vx = ipLink('vx0');
    assert.equal(vx.linkinfo?.info_kind, 'vxlan');
    assert.equal(vx.linkinfo?.info_data?.id, 42);
    assert.equal(vx.linkinfo?.info_data?.local, '10.9.0.1');
    assert.equal(vx.linkinfo?.info_data?.port, 4789);
    assert.equal(vx.linkinfo?.info_data?.learning, false);
    assert.equal(vx.linkinfo?.info_data?.proxy, true);
    assert.equal(vx.master, 'br0');
    assert.equal(ipLink('mv0').linkinfo?.info_data?.mode, 'bridge');
    assert.equal(ipLink('mv0').address, '02:00:00:00:aa:01');
    assert.equal(ipLink('br0').mtu, 1450);

    const names = rtnl.linkList().map((l) => `${l.name}:${l.kind}`);
    for (const name of ['br0:bridge', 'lo:device', 'mv0:macvlan', 'under0:veth', 'under0p:veth', 'vx0:vxlan'])
      assert.ok(names.includes(name), name);
    assert.equal(rtnl.linkGet('vx0').master, 'br0');
  });

  it('sets up/down, mtu, MAC, name and master, and deletes', () => {
    const { rtnl } = t;
    rtnl.linkAdd({ ...plain('d1'), up: false });
    rtnl.linkSet('d1', { up: true, mtu: 1400, mac: '02:00:00:00:00:d1', master: { tag: 'set', val: 'br0' } });
    let info = rtnl.linkGet('d1');
    assert.deepEqual([info.up, info.mtu, info.mac, info.master], [true, 1400, '02:00:00:00:00:d1', 'br0']);
    assert.equal(ipLink('d1').master, 'br0');
    rtnl.linkSet('d1', { up: false });
    rtnl.linkSet('d1', { name: 'd1new', master: { tag: 'unset' } });
    info = rtnl.linkGet('d1new');
    assert.equal(info.master, undefined);
    assert.equal(ipLink('d1new').flags.includes('UP'), false);
    rtnl.linkDel('d1new');
    assert.throws(() => rtnl.linkGet('d1new'), isErrno('ENODEV'));
  });

  it('adds, lists and deletes IPv4 and IPv6 addresses and routes', () => {
    const { rtnl } = t;
    rtnl.linkAdd(plain('a0'));
    sysctlSet(t.host, 'disable-ipv6', 'a0', '0');
    rtnl.addrAdd({ link: 'a0', cidr: '10.20.0.1/24', nodad: false });
    rtnl.addrAdd({ link: 'a0', cidr: 'fd00:20::1/64', nodad: true });
    assert.deepEqual(
      rtnl
        .addrList('a0')
        .map((a) => a.cidr)
        .sort(),
      ['10.20.0.1/24', 'fd00:20::1/64'],
    );
    const ipAddrs = ipJson<{ addr_info: { local: string; prefixlen: number }[] }[]>(
      t.host.path as string,
      'addr',
      'show',
      'a0',
    );
    assert.deepEqual(
      ipAddrs[0]?.addr_info
        .map((a) => `${a.local}/${a.prefixlen}`)
        .filter((a) => !a.startsWith('fe80'))
        .sort(),
      ['10.20.0.1/24', 'fd00:20::1/64'],
    );

    rtnl.routeAdd({ destination: '10.30.0.0/16', gateway: '10.20.0.254', scope: 'universe' });
    rtnl.routeAdd({ destination: '10.40.0.0/24', link: 'a0', scope: 'link' });
    rtnl.routeAdd({ gateway: '10.20.0.1', scope: 'universe' });
    rtnl.routeAdd({ destination: 'fd00:30::/48', gateway: 'fd00:20::fe', link: 'a0', scope: 'universe' });
    const routes = rtnl.routeList().map((r) => `${r.destination} ${r.gateway ?? r.scope}`);
    for (const expected of [
      '10.30.0.0/16 10.20.0.254',
      '10.40.0.0/24 link',
      '0.0.0.0/0 10.20.0.1',
      'fd00:30::/48 fd00:20::fe',
    ]) {
      assert.ok(routes.includes(expected), `${expected} in ${routes.join(', ')}`);
    }
    const ipRoutes = ipJson<{ dst: string; gateway?: string }[]>(t.host.path as string, 'route', 'show');
    assert.ok(ipRoutes.some((r) => r.dst === 'default' && r.gateway === '10.20.0.1'));
    assert.ok(ipRoutes.some((r) => r.dst === '10.30.0.0/16' && r.gateway === '10.20.0.254'));
    rtnl.routeDel({ destination: '10.30.0.0/16', gateway: '10.20.0.254', scope: 'universe' });
    rtnl.addrDel({ link: 'a0', cidr: '10.20.0.1/24', nodad: false });
    assert.deepEqual(
      rtnl
        .addrList('a0')
        .map((a) => a.cidr)
        .filter((a) => !a.startsWith('fe80')),
      ['fd00:20::1/64'],
    );
    assert.equal(
      rtnl.routeList().some((r) => r.destination === '10.30.0.0/16'),
      false,
    );
  });

  it('adds neighbours and VXLAN fdb entries', () => {
    const { rtnl } = t;
    rtnl.neighAdd({ link: 'a0', ip: '10.20.0.9', mac: '02:00:00:00:00:09' });
    assert.ok(rtnl.neighList('a0').some((n) => n.ip === '10.20.0.9' && n.mac === '02:00:00:00:00:09' && n.permanent));
    const ipNeigh = ipJson<{ dst: string; lladdr: string }[]>(t.host.path as string, 'neigh', 'show', 'dev', 'a0');
    assert.ok(ipNeigh.some((n) => n.dst === '10.20.0.9' && n.lladdr === '02:00:00:00:00:09'));
    rtnl.fdbAdd({ link: 'vx0', mac: '02:00:00:00:00:0a', destination: '10.9.0.2' });
    rtnl.fdbAdd({ link: 'vx0', mac: '00:00:00:00:00:00', destination: '10.9.0.3' });
    rtnl.fdbAdd({ link: 'vx0', mac: '00:00:00:00:00:00', destination: '10.9.0.4' });
    const fdb = rtnl
      .fdbList('vx0')
      .filter((e) => e.ip !== undefined)
      .map((e) => `${e.mac} ${e.ip}`)
      .sort();
    assert.deepEqual(fdb, ['00:00:00:00:00:00 10.9.0.3', '00:00:00:00:00:00 10.9.0.4', '02:00:00:00:00:0a 10.9.0.2']);
    const bridgeFdb = JSON.parse(nsExec(t.host.path as string, 'bridge', '-j', 'fdb', 'show', 'dev', 'vx0')) as {
      mac: string;
      dst?: string;
    }[];
    assert.ok(bridgeFdb.some((e) => e.mac === '02:00:00:00:00:0a' && e.dst === '10.9.0.2'));
    rtnl.fdbDel({ link: 'vx0', mac: '02:00:00:00:00:0a', destination: '10.9.0.2' });
    rtnl.neighDel({ link: 'a0', ip: '10.20.0.9', mac: '02:00:00:00:00:09' });
    assert.equal(
      rtnl.fdbList('vx0').some((e) => e.mac === '02:00:00:00:00:0a'),
      false,
    );
    assert.equal(
      rtnl.neighList('a0').some((n) => n.ip === '10.20.0.9'),
      false,
    );
  });

  it('sets allow-listed sysctls per namespace and per link', () => {
    sysctlSet(t.host, 'ip-forward', undefined, '1');
    assert.equal(sysctlGet(t.host, 'ip-forward'), '1');
    assert.equal(nsExec(t.host.path as string, 'cat', '/proc/sys/net/ipv4/ip_forward').trim(), '1');
    sysctlSet(t.host, 'proxy-arp', 'a0', '1');
    assert.equal(nsExec(t.host.path as string, 'cat', '/proc/sys/net/ipv4/conf/a0/proxy_arp').trim(), '1');
    assert.throws(() => sysctlSet(t.host, 'proxy-arp', undefined, '1'), InvalidInputError);
    assert.throws(() => sysctlSet(t.host, 'tcp-syncookies' as never, undefined, '1'), InvalidInputError);
    assert.throws(() => sysctlSet(t.host, 'proxy-arp', 'a0', '1; rm'), InvalidInputError);
    assert.throws(() => sysctlSet(t.host, 'rp-filter', 'a0', '7'), /rp-filter takes 0, 1, 2, not "7"/);
    assert.throws(() => sysctlSet(t.host, 'proxy-arp', 'nope0', '1'), isErrno('ENODEV'));
  });

  it('gives typed errors for bad input and missing links, leaving nothing behind', () => {
    const { rtnl } = t;
    const count = rtnl.linkList().length;
    const path = t.host.path as string;
    const before = ipState(path);
    assert.throws(() => rtnl.linkAdd({ name: 'x'.repeat(16), kind: { tag: 'dummy' }, up: false }), InvalidInputError);
    assert.throws(() => rtnl.linkAdd({ name: 'a/b', kind: { tag: 'dummy' }, up: false }), InvalidInputError);
    assert.throws(
      () => rtnl.linkAdd({ name: 'ok0', kind: { tag: 'dummy' }, mac: '02:00:00:00:00', up: false }),
      InvalidInputError,
    );
    assert.throws(
      () => rtnl.linkAdd({ name: 'ok0', kind: { tag: 'veth', val: { name: 'p/q' } }, up: false }),
      InvalidInputError,
    );
    assert.throws(() => rtnl.addrAdd({ link: 'a0', cidr: '10.0.0.300/24', nodad: false }), InvalidInputError);
    assert.throws(() => rtnl.routeAdd({ destination: '10.0.0.0/40', scope: 'universe' }), InvalidInputError);
    assert.throws(
      () =>
        rtnl.linkAdd({ name: 'mv9', kind: { tag: 'macvlan', val: { parent: 'missing0', mode: 'bridge' } }, up: false }),
      isErrno('ENODEV'),
    );
    assert.throws(
      () => rtnl.linkSet('missing0', { up: true }),
      (e: unknown) =>
        e instanceof NetlinkError && e.errnoName === 'ENODEV' && e.message.includes(t.host.path as string),
    );
    assert.throws(() => rtnl.linkDel('missing0'), isErrno('ENODEV'));
    assert.throws(() => rtnl.linkAdd({ name: 'br0', kind: { tag: 'bridge' }, up: false }), isErrno('EEXIST'));
    // A veth whose peer name is taken fails whole: neither end is left.
    assert.throws(
      () => rtnl.linkAdd({ name: 'vbad', kind: { tag: 'veth', val: { name: 'br0' } }, up: true }),
      isErrno('EEXIST'),
    );
    assert.equal(rtnl.linkList().length, count);
    assert.equal(ipState(path), before, 'iproute2 sees no leftover link, address or route');
  });

  it('creates a veth up with its peer in another namespace in one send, learning both indexes', () => {
    const { rtnl } = t;
    const other = t.name('peerns');
    const ns = createNetns(t.dir, other);
    try {
      const created = rtnl.linkAdd({
        name: 'vi0',
        kind: { tag: 'veth', val: { name: 'eth7', netns: ns, mac: '02:00:00:00:07:07' } },
        master: 'br0',
        up: true,
      });
      const host = ipLink('vi0');
      assert.equal(created.index, rtnl.index('vi0'));
      assert.ok(host.flags.includes('UP'));
      assert.equal(host.master, 'br0');
      const peer = ipJson<(IpLink & { ifindex: number })[]>(ns.path as string, 'link', 'show', 'eth7')[0];
      assert.equal(created.linkIndex, peer?.ifindex, "linkIndex is the peer's index in its namespace");
      assert.equal(peer?.address, '02:00:00:00:07:07');
    } finally {
      // Deleted now, not later by the kernel's namespace cleanup (other tests count links).
      if (rtnl.linkList().some((link) => link.name === 'vi0')) rtnl.linkDel('vi0');
      deleteNetns(ns);
    }
  });

  it('creates a macvlan on a parent here directly inside another namespace, in each mode', () => {
    const { rtnl } = t;
    rtnl.linkAdd(plain('mvup0'));
    const ns = createNetns(t.dir, t.name('mvns'));
    const before = ipState(t.host.path as string);
    try {
      for (const mode of ['bridge', 'private', 'vepa', 'passthru'] as const) {
        const created = rtnl.linkAdd({
          name: 'eth3',
          kind: { tag: 'macvlan', val: { parent: 'mvup0', mode, netns: ns } },
          mtu: 1400,
          up: false,
        });
        const link = ipJson<(IpLink & { ifindex: number })[]>(ns.path as string, '-d', 'link', 'show', 'eth3')[0];
        assert.equal(created.index, link?.ifindex, 'the index is the one in the namespace it was created in');
        assert.equal(created.kind, 'macvlan');
        assert.equal(link?.linkinfo?.info_data?.mode, mode);
        assert.equal(link?.mtu, 1400);
        assert.equal(ipState(t.host.path as string), before, 'nothing new where the parent is');
        nsExec(ns.path as string, 'ip', 'link', 'del', 'eth3');
      }
      // A missing parent fails before anything exists, in either namespace.
      assert.throws(
        () =>
          rtnl.linkAdd({
            name: 'eth3',
            kind: { tag: 'macvlan', val: { parent: 'missing0', mode: 'bridge', netns: ns } },
            up: false,
          }),
        isErrno('ENODEV'),
      );
      assert.deepEqual(
        ipJson<IpLink[]>(ns.path as string, 'link', 'show').map((link) => link.ifname),
        ['lo'],
      );
    } finally {
      deleteNetns(ns);
      rtnl.linkDel('mvup0');
    }
  });

  it('sends a batch in one go, checks every ACK and rolls back what succeeded', () => {
    const { rtnl } = t;
    const count = rtnl.linkList().length;
    const rollback = new Rollback();
    const batch = rtnl
      .batch()
      .linkAdd(plain('b1'))
      .linkAdd({ name: 'br0', kind: { tag: 'bridge' }, up: true })
      .linkAdd(plain('b2'));
    assert.throws(() => batch.commit(rollback), isErrno('EEXIST'));
    assert.ok(rtnl.linkGet('b1') && rtnl.linkGet('b2'), 'requests after the failure still ran');
    assert.deepEqual(rollback.run(), []);
    assert.equal(rtnl.linkList().length, count);
  });

  it('sets and releases a master inside a batch', () => {
    const { rtnl } = t;
    const link = rtnl.linkAdd(plain('bm0'));
    try {
      rtnl
        .batch()
        .linkSet(link.index, { master: { tag: 'set', val: 'br0' } })
        .commit();
      assert.equal(ipLink('bm0').master, 'br0');
      rtnl
        .batch()
        .linkSet(link.index, { master: { tag: 'unset' } })
        .commit();
      assert.equal(ipLink('bm0').master, undefined);
    } finally {
      rtnl.linkDel('bm0');
    }
  });
});
