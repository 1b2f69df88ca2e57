// Sandboxes on a bridge in a private "host" namespace: two sandboxes ping each other over IPv4
// and IPv6 through the bridge; interfaces are renamed, moved, removed; failures roll back.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { InvalidInputError, NetlinkError, sysctlSet } from '../../host/netlink/index.js';
import { LinkDeleter, Sandbox } from '../../host/sandbox/index.js';
import { ipJson, ipState, makeHost, nsExec, type TestHost } from './helpers.js';
import { needsRoot } from '../support/root.js';

interface IpAddr {
  ifname: string;
  operstate: string;
  address: string;
  addr_info: { local: string; prefixlen: number }[];
}
interface IpRoute {
  dst: string;
  gateway?: string;
  dev: string;
}

const isErrno = (name: string) => (e: unknown) => e instanceof NetlinkError && e.errnoName === name;

describe('sandboxes', needsRoot, () => {
  let t: TestHost;
  let a: Sandbox;
  let b: Sandbox;
  const deleter = new LinkDeleter(2);
  before(() => {
    t = makeHost();
    t.rtnl.linkAdd({ name: 'br0', kind: { tag: 'bridge' }, up: true });
    sysctlSet(t.host, 'disable-ipv6', 'br0', '0');
    t.rtnl.addrAdd({ link: 'br0', cidr: '10.77.0.1/24', nodad: false });
    t.rtnl.addrAdd({ link: 'br0', cidr: 'fd77::1/64', nodad: true });
  });
  after(async () => {
    await deleter.close();
    t.cleanup();
  });

  it('creates sandboxes with lo up and IPv6 off by default', () => {
    a = Sandbox.create({ dir: t.dir, key: t.name('sa'), ipv6: true });
    b = Sandbox.create({ dir: t.dir, key: t.name('sb') });
    assert.ok(existsSync(a.path));
    const lo = ipJson<IpAddr[]>(b.path, 'addr', 'show', 'lo')[0] as IpAddr;
    assert.equal(lo.operstate, 'UNKNOWN');
    assert.deepEqual(
      lo.addr_info.map((x) => x.local),
      ['127.0.0.1'],
    );
    assert.equal(nsExec(b.path, 'cat', '/proc/sys/net/ipv6/conf/default/disable_ipv6').trim(), '1');
    assert.equal(nsExec(a.path, 'cat', '/proc/sys/net/ipv6/conf/default/disable_ipv6').trim(), '0');
    assert.throws(() => Sandbox.create({ dir: t.dir, key: t.name('sa') }), isErrno('EEXIST'));
  });

  it('plumbs two sandboxes whose eth0s ping each other through the bridge (IPv4 and IPv6)', () => {
    // a: the peer is created in the sandbox under a temporary name and renamed to eth0.
    const vha = t.rtnl.linkAdd({
      name: 'vha',
      kind: { tag: 'veth', val: { name: 'tmpa', netns: a.netns } },
      master: 'br0',
      up: true,
    });
    // Created down, read back, then set up (see Rtnl.linkAdd): what it returns says up, as the kernel does.
    assert.equal(vha.up, true);
    assert.equal(t.rtnl.linkGet('vha').up, true);
    assert.equal(vha.linkIndex, a.rtnl.linkGet('tmpa').index, "the result names its peer's index");
    const ea = a.addInterface({
      srcName: 'tmpa',
      dstPrefix: 'eth',
      mac: '02:42:0a:4d:00:02',
      addresses: ['10.77.0.2/24', 'fd77::2/64'],
      gateway: '10.77.0.1',
      gatewayV6: 'fd77::1',
    });
    assert.equal(ea.name, 'eth0');
    // b: the peer is created as eth0 with its MAC directly (the fast path); IPv6 turned on for it.
    t.rtnl.linkAdd({
      name: 'vhb',
      kind: { tag: 'veth', val: { name: 'eth0', netns: b.netns, mac: '02:42:0a:4d:00:03' } },
      master: 'br0',
      up: true,
    });
    b.addInterface({
      srcName: 'eth0',
      dstName: 'eth0',
      addresses: ['10.77.0.3/24', 'fd77::3/64'],
      gateway: '10.77.0.1',
      routes: [{ destination: '10.88.0.0/16', gateway: '10.77.0.254' }, { destination: '10.89.0.0/24' }],
    });

    const ipA = ipJson<IpAddr[]>(a.path, 'addr', 'show', 'eth0')[0] as IpAddr;
    assert.equal(ipA.address, '02:42:0a:4d:00:02');
    assert.ok(ipA.addr_info.some((x) => x.local === '10.77.0.2' && x.prefixlen === 24));
    assert.ok(ipA.addr_info.some((x) => x.local === 'fd77::2' && x.prefixlen === 64));
    assert.deepEqual(
      a.rtnl
        .addrList('eth0')
        .map((x) => x.cidr)
        .filter((x) => !x.startsWith('fe80'))
        .sort(),
      ['10.77.0.2/24', 'fd77::2/64'],
    );
    for (const sandbox of [a, b]) {
      const routes = ipJson<IpRoute[]>(sandbox.path, 'route', 'show');
      assert.ok(
        routes.some((r) => r.dst === 'default' && r.gateway === '10.77.0.1' && r.dev === 'eth0'),
        JSON.stringify(routes),
      );
      assert.ok(sandbox.rtnl.routeList().some((r) => r.destination === '0.0.0.0/0' && r.gateway === '10.77.0.1'));
    }
    assert.ok(
      ipJson<IpRoute[]>(a.path, '-6', 'route', 'show').some((r) => r.dst === 'default' && r.gateway === 'fd77::1'),
    );
    const routesB = ipJson<IpRoute[]>(b.path, 'route', 'show');
    assert.ok(routesB.some((r) => r.dst === '10.88.0.0/16' && r.gateway === '10.77.0.254'));
    assert.ok(routesB.some((r) => r.dst === '10.89.0.0/24' && r.gateway === undefined));
    assert.equal(t.rtnl.linkGet('vhb').master, 'br0');

    assert.match(nsExec(a.path, 'ping', '-c1', '-W2', '10.77.0.3'), /1 received/);
    assert.match(nsExec(b.path, 'ping', '-c1', '-W2', '10.77.0.2'), /1 received/);
    assert.match(nsExec(b.path, 'ping', '-c1', '-W2', 'fd77::2'), /1 received/);
    assert.match(nsExec(a.path, 'ping', '-c1', '-W2', '10.77.0.1'), /1 received/);
  });

  it('removes an interface off the main thread', async () => {
    t.rtnl.linkAdd({ name: 'vhb0', kind: { tag: 'veth', val: { name: 'x0', netns: b.netns } }, up: true });
    assert.equal(b.addInterface({ srcName: 'x0', dstPrefix: 'eth', addresses: ['10.78.0.5/24'] }).name, 'eth1');
    await b.removeInterface('eth1', deleter);
    assert.ok(!ipJson<IpAddr[]>(b.path, 'link', 'show').some((l) => l.ifname === 'eth1'));
    assert.throws(() => t.rtnl.linkGet('vhb0'), isErrno('ENODEV'));
  });

  it('removes an interface in the background, its name free at once', async () => {
    const linksOfB = () => ipJson<IpAddr[]>(b.path, 'link', 'show').map((l) => l.ifname);
    const before = linksOfB();
    t.rtnl.linkAdd({ name: 'vhb1', kind: { tag: 'veth', val: { name: 'x1', netns: b.netns } }, up: true });
    const eth1 = b.addInterface({ srcName: 'x1', dstPrefix: 'eth', addresses: ['10.78.0.3/24'] });
    assert.equal(eth1.name, 'eth1');
    await b.removeInterface('eth1', deleter, { background: true });
    assert.ok(!linksOfB().includes('eth1'), 'the name is free before the kernel has deleted the link');
    // The next interface may take the name while the old link is still being deleted.
    t.rtnl.linkAdd({ name: 'vhb2', kind: { tag: 'veth', val: { name: 'x2', netns: b.netns } }, up: true });
    assert.equal(b.addInterface({ srcName: 'x2', dstName: 'eth1', addresses: ['10.78.0.4/24'] }).name, 'eth1');
    await b.removeInterface('eth1', deleter, { background: true });
    await deleter.idle();
    assert.deepEqual(linksOfB(), before, 'both links are gone once the deleter is idle');
    assert.throws(() => t.rtnl.linkGet('vhb1'), isErrno('ENODEV'));
    assert.throws(() => t.rtnl.linkGet('vhb2'), isErrno('ENODEV'));
    await assert.rejects(deleter.delete(b.path, 'nope0'), isErrno('ENODEV'));
  });

  it('deletes several links in parallel off the main thread', async () => {
    const names = ['pd0', 'pd1', 'pd2', 'pd3', 'pd4'];
    for (const name of names) t.rtnl.linkAdd({ name, kind: { tag: 'veth', val: { name: `${name}p` } }, up: false });
    await Promise.all(names.map((name) => deleter.delete(t.host.path, name)));
    const left = t.rtnl.linkList().map((l) => l.name);
    for (const name of names) assert.equal(left.includes(name) || left.includes(`${name}p`), false, name);
  });

  it('moves a link in from the host (slow path) and back out on removal', async () => {
    t.rtnl.linkAdd({ name: 'mvpar', kind: { tag: 'veth', val: { name: 'mvparp' } }, up: true });
    t.rtnl.linkAdd({ name: 'mv0', kind: { tag: 'macvlan', val: { parent: 'mvpar', mode: 'bridge' } }, up: false });
    const moved = b.addInterface({ srcName: 'mv0', from: t.host, dstPrefix: 'eth', addresses: ['10.79.0.3/24'] });
    assert.equal(moved.name, 'eth1');
    assert.throws(() => t.rtnl.linkGet('mv0'), isErrno('ENODEV'));
    assert.equal(b.rtnl.linkGet('eth1').kind, 'macvlan');
    await b.removeInterface('eth1', deleter);
    assert.equal(t.rtnl.linkGet('mv0').kind, 'macvlan');
    assert.throws(() => b.rtnl.linkGet('eth1'), isErrno('ENODEV'));
  });

  it('rolls back a failed addInterface, leaving nothing behind', () => {
    t.rtnl.linkAdd({ name: 'vhr', kind: { tag: 'veth', val: { name: 'r0', netns: b.netns } }, up: true });
    const before = JSON.stringify(b.rtnl.routeList());
    assert.throws(
      () =>
        b.addInterface({
          srcName: 'r0',
          dstPrefix: 'eth',
          addresses: ['10.80.0.3/24'],
          routes: [{ destination: '10.81.0.0/16', gateway: '10.99.0.1' }],
        }),
      isErrno('ENETUNREACH'),
    );
    const r0 = b.rtnl.linkGet('r0');
    assert.equal(r0.up, false);
    assert.deepEqual(b.rtnl.addrList('r0'), []);
    assert.equal(JSON.stringify(b.rtnl.routeList()), before);
    // The slow path: the link goes back to where it came from, under its old name.
    assert.throws(
      () => b.addInterface({ srcName: 'mv0', from: t.host, dstPrefix: 'eth', gateway: '10.99.0.1' }),
      isErrno('ENETUNREACH'),
    );
    assert.equal(t.rtnl.linkGet('mv0').kind, 'macvlan');
    assert.throws(() => b.rtnl.linkGet('eth1'), isErrno('ENODEV'));
    // The next interface still gets eth1: failed attempts do not consume indexes.
    assert.equal(b.addInterface({ srcName: 'r0', dstPrefix: 'eth' }).name, 'eth1');
  });

  it('refuses bad input before touching the kernel, and reports missing links', () => {
    const links = JSON.stringify(b.rtnl.linkList());
    const before = ipState(b.path);
    assert.throws(() => b.addInterface({ srcName: 'eth1', dstName: 'e'.repeat(16) }), InvalidInputError);
    assert.throws(() => b.addInterface({ srcName: 'eth1', dstName: 'eth9', mac: 'nope' }), InvalidInputError);
    assert.throws(
      () => b.addInterface({ srcName: 'eth1', dstName: 'eth9', addresses: ['10.0.0.1'] }),
      InvalidInputError,
    );
    assert.throws(() => b.addInterface({ srcName: 'eth1', dstName: 'eth9', gateway: 'fd00::1' }), InvalidInputError);
    assert.throws(() => b.addInterface({ srcName: 'a/b' }), InvalidInputError);
    assert.throws(() => b.addInterface({ srcName: 'missing0', dstName: 'eth9' }), isErrno('ENODEV'));
    assert.throws(
      () => b.addInterface({ srcName: 'missing0', srcIndex: 999, dstName: 'eth9', addresses: ['10.0.9.9/24'] }),
      isErrno('ENODEV'),
    );
    assert.throws(() => Sandbox.create({ dir: `${t.dir}/missing/..`, key: 'x/y' }), InvalidInputError);
    assert.equal(JSON.stringify(b.rtnl.linkList()), links);
    assert.equal(ipState(b.path), before, 'iproute2 sees nothing left behind');
  });

  it('destroys a sandbox: its file goes, and the kernel removes the veth pair', async () => {
    await a.destroy();
    await b.destroy();
    assert.equal(existsSync(a.path), false);
    for (let i = 0; i < 100 && t.rtnl.linkList().some((l) => l.name === 'vha' || l.name === 'vhb'); i++)
      await sleep(20);
    assert.equal(
      t.rtnl.linkList().some((l) => l.name === 'vha' || l.name === 'vhb'),
      false,
    );
  });
});
