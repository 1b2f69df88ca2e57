// NetnsPool: sandbox namespaces made ahead of time on a worker thread, taken synchronously,
// deleted off the main thread; the per-endpoint sequence of the benchmark, checked with iproute2;
// its own procfs for its /proc/sys writes.
import assert from 'node:assert/strict';
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { NetlinkError } from '../../host/netlink/index.js';
import { NetnsPool, Sandbox } from '../../host/sandbox/index.js';
import { PrivateProc } from '../../host/sandbox/private-proc.js';
import { ipJson, makeHost, nsExec, type TestHost } from './helpers.js';
import { needsRoot } from '../support/root.js';

interface IpAddr {
  ifname: string;
  flags: string[];
  address: string;
  addr_info: { local: string; prefixlen: number }[];
}
interface IpRoute {
  dst: string;
  gateway?: string;
  dev: string;
}

/** Namespaces this process holds open by fd (the pool's spares are only that). */
function netnsFds(): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith('net:[');
    } catch {
      return false;
    }
  }).length;
}

/** Prints whether TCP 127.0.0.11:53 is free to bind (lo up) in the namespace it runs in. */
const TRY_BIND_TCP = `import socket
s = socket.socket()
try:
    s.bind(("127.0.0.11", 53)); print("free")
except OSError:
    print("taken")`;

/** Waits (bounded) until the worker has made `count` spares. */
async function filled(pool: NetnsPool, count: number): Promise<void> {
  for (let i = 0; i < 500 && pool.ready < count; i++) await sleep(10);
  assert.equal(pool.ready, count, `the pool made ${count} namespaces (failure: ${String(pool.failure)})`);
}

describe('netns pool', needsRoot, () => {
  let t: TestHost;
  let pool: NetnsPool;
  before(() => {
    t = makeHost();
    t.rtnl.linkAdd({ name: 'br0', kind: { tag: 'bridge' }, up: true });
    t.rtnl.addrAdd({ link: 'br0', cidr: '10.78.0.1/24', nodad: false });
    pool = new NetnsPool(2);
  });
  after(async () => {
    await pool.close();
    t.cleanup();
  });

  it('hands out a ready namespace: bound to its file, lo up, IPv6 off', async () => {
    await filled(pool, 2);
    const sandbox = Sandbox.create({ dir: t.dir, key: t.name('p1'), pool });
    try {
      assert.ok(existsSync(sandbox.path));
      const lo = ipJson<IpAddr[]>(sandbox.path, 'addr', 'show', 'lo')[0] as IpAddr;
      assert.ok(lo.flags.includes('UP'));
      assert.deepEqual(
        lo.addr_info.map((x) => x.local),
        ['127.0.0.1'],
      );
      assert.equal(nsExec(sandbox.path, 'cat', '/proc/sys/net/ipv6/conf/default/disable_ipv6').trim(), '1');
      assert.equal(nsExec(sandbox.path, 'cat', '/proc/sys/net/ipv6/conf/all/disable_ipv6').trim(), '1');
      assert.deepEqual(
        sandbox.rtnl.linkList().map((link) => link.name),
        ['lo'],
        'its socket acts inside it',
      );
      assert.throws(
        () => Sandbox.create({ dir: t.dir, key: t.name('p1'), pool }),
        (e: unknown) => e instanceof NetlinkError && e.errnoName === 'EEXIST',
      );
    } finally {
      await sandbox.destroy();
    }
    assert.equal(existsSync(sandbox.path), false);
  });

  it('turns IPv6 back on when asked for, and lo keeps ::1', async () => {
    await filled(pool, 2);
    const sandbox = Sandbox.create({ dir: t.dir, key: t.name('p6'), pool, ipv6: true });
    try {
      assert.equal(nsExec(sandbox.path, 'cat', '/proc/sys/net/ipv6/conf/default/disable_ipv6').trim(), '0');
      const lo = ipJson<IpAddr[]>(sandbox.path, 'addr', 'show', 'lo')[0] as IpAddr;
      assert.deepEqual(lo.addr_info.map((x) => x.local).sort(), ['127.0.0.1', '::1']);
    } finally {
      await sandbox.destroy();
    }
  });

  it('plumbs an endpoint by index, pings the gateway, and tears down off the main thread', async () => {
    const sandbox = Sandbox.create({ dir: t.dir, key: t.name('ep'), pool });
    const veth = t.rtnl.linkAdd({
      name: 'wv0',
      kind: { tag: 'veth', val: { name: 'eth0', netns: sandbox.netns, mac: '02:42:0a:4e:00:02' } },
      master: 'br0',
      up: true,
    });
    try {
      sandbox.addInterface({
        srcName: 'eth0',
        srcIndex: veth.linkIndex,
        dstName: 'eth0',
        addresses: ['10.78.0.2/24'],
        gateway: '10.78.0.1',
      });
      const eth0 = ipJson<IpAddr[]>(sandbox.path, 'addr', 'show', 'eth0')[0] as IpAddr;
      assert.ok(eth0.flags.includes('UP'));
      assert.equal(eth0.address, '02:42:0a:4e:00:02');
      assert.deepEqual(
        eth0.addr_info.map((x) => `${x.local}/${x.prefixlen}`),
        ['10.78.0.2/24'],
      );
      const routes = ipJson<IpRoute[]>(sandbox.path, 'route', 'show');
      assert.ok(routes.some((r) => r.dst === 'default' && r.gateway === '10.78.0.1' && r.dev === 'eth0'));
      nsExec(sandbox.path, 'ping', '-c', '1', '-W', '2', '10.78.0.1');
      // A link given by index is renamed too (taken down first).
      t.rtnl.linkAdd({ name: 'wv1', kind: { tag: 'veth', val: { name: 'tmp1', netns: sandbox.netns } }, up: true });
      const renamed = sandbox.addInterface({ srcName: 'tmp1', srcIndex: sandbox.rtnl.index('tmp1'), dstPrefix: 'eth' });
      assert.equal(renamed.name, 'eth1');
      assert.ok((ipJson<IpAddr[]>(sandbox.path, 'addr', 'show', 'eth1')[0] as IpAddr).flags.includes('UP'));
    } finally {
      t.rtnl
        .batch()
        .linkSet(veth.index, { master: { tag: 'unset' } })
        .commit();
      await sandbox.destroy();
    }
    assert.equal(existsSync(sandbox.path), false);
    for (let i = 0; i < 200 && t.rtnl.linkList().some((l) => l.name === 'wv0' || l.name === 'wv1'); i++)
      await sleep(20);
    assert.deepEqual(
      ipJson<{ ifname: string }[]>(t.host.path as string, 'link', 'show')
        .map((l) => l.ifname)
        .sort(),
      ['br0', 'lo'],
    );
  });

  it('opens an existing sandbox by its key', async () => {
    const created = Sandbox.create({ dir: t.dir, key: t.name('op'), pool });
    try {
      const opened = Sandbox.open({ dir: t.dir, key: t.name('op') });
      assert.equal(opened.path, created.path);
      assert.deepEqual(
        opened.rtnl.linkList().map((link) => link.name),
        ['lo'],
      );
      assert.throws(
        () => Sandbox.open({ dir: t.dir, key: t.name('missing') }),
        (e: unknown) => e instanceof NetlinkError && e.errnoName === 'ENOENT',
      );
    } finally {
      await created.destroy();
    }
  });
});

describe('netns pool close', needsRoot, () => {
  let t: TestHost;
  before(() => {
    t = makeHost();
  });
  after(() => t.cleanup());

  it('deletes its spare namespaces, and sandboxes are then made without it', async () => {
    const before = netnsFds();
    const pool = new NetnsPool(3);
    try {
      await filled(pool, 3);
      assert.ok(netnsFds() >= before + 3, 'each spare is a namespace fd');
    } finally {
      await pool.close();
    }
    assert.equal(netnsFds(), before, 'the spares, and the worker handle on its own namespace, are gone');
    assert.equal(pool.ready, 0);
    const sandbox = Sandbox.create({ dir: t.dir, key: t.name('late'), pool });
    assert.deepEqual(
      ipJson<{ ifname: string }[]>(sandbox.path, 'link', 'show').map((l) => l.ifname),
      ['lo'],
    );
    await sandbox.destroy();
    assert.equal(existsSync(sandbox.path), false);
    assert.deepEqual(readdirSync(t.dir), [`${t.name('host')}`]);
  });

  it('refills after a deletion, and on a take only when few are left', async () => {
    const pool = new NetnsPool(8);
    const taken: Sandbox[] = [];
    let made = 0;
    const take = (count: number): void => {
      for (let i = 0; i < count; i++) taken.push(Sandbox.create({ dir: t.dir, key: t.name(`r${made++}`), pool }));
    };
    try {
      await filled(pool, 8);
      take(5);
      await sleep(200);
      assert.equal(pool.ready, 3, 'takes above the low-water mark (2) ask for nothing');
      await (taken.shift() as Sandbox).destroy();
      await filled(pool, 8);
      take(6);
      await filled(pool, 8);
    } finally {
      for (const sandbox of taken) await sandbox.destroy();
      await pool.close();
    }
  });
});

describe("the pool's own procfs", needsRoot, () => {
  let t: TestHost;
  before(() => {
    t = makeHost();
  });
  after(() => t.cleanup());

  const procMounts = (): number =>
    readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((line) => line.includes(' - proc ')).length;

  it('is mounted nowhere, works, and a fresh one is made every `remountEvery` namespaces', () => {
    const before = procMounts();
    const proc = PrivateProc.open(2) as PrivateProc;
    assert.ok(proc, 'made (fsopen + fsmount)');
    // An open directory keeps its procfs alive, so no two of them share a device number.
    const held: number[] = [];
    try {
      const superblocks = new Set<number>();
      for (let i = 0; i < 4; i++) {
        const sysRoot = proc.sysRoot();
        assert.match(readFileSync(join(sysRoot, 'net/ipv4/ip_forward'), 'utf8'), /^[01]\n$/, 'a working /proc/sys');
        held.push(openSync(sysRoot, 'r'));
        superblocks.add(fstatSync(held.at(-1) as number).dev);
        assert.equal(procMounts(), before, 'no mount table shows it');
      }
      assert.equal(superblocks.size, 3, 'a new procfs at the 2nd and the 4th use');
      assert.ok(!superblocks.has(statSync('/proc').dev), "not the machine's /proc");
    } finally {
      for (const fd of held) closeSync(fd);
      proc.close();
    }
  });

  it('the pool makes namespaces with IPv6 off through it, and leaves no mount behind', async () => {
    const before = procMounts();
    const pool = new NetnsPool(2);
    try {
      await filled(pool, 2);
      const sandbox = Sandbox.create({ dir: t.dir, key: t.name('pp'), pool });
      assert.equal(nsExec(sandbox.path, 'cat', '/proc/sys/net/ipv6/conf/all/disable_ipv6').trim(), '1');
      await sandbox.destroy();
    } finally {
      await pool.close();
    }
    assert.equal(procMounts(), before);
  });

  it('binds the DNS sockets in each spare: kept when asked for, closed otherwise, no fd left', async () => {
    // UDP from ss; a bound TCP socket not listening yet shows nowhere: binding the same address fails.
    const bound = (path: string): string[] => {
      const udp = nsExec(path, 'ss', '-Hanu')
        .trim()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => `udp ${line.split(/\s+/)[3]}`);
      const tcpFree = nsExec(path, 'python3', '-c', TRY_BIND_TCP).trim() === 'free';
      return [...udp, ...(tcpFree ? [] : ['tcp 127.0.0.11:53'])].sort();
    };
    const fdsBefore = readdirSync('/proc/self/fd').length;
    const pool = new NetnsPool(3, { dns: { address: '127.0.0.11', port: 53 } });
    try {
      await filled(pool, 3);
      const served = Sandbox.create({ dir: t.dir, key: t.name('dn1'), pool, dns: true });
      const plain = Sandbox.create({ dir: t.dir, key: t.name('dn2'), pool });
      const unused = Sandbox.create({ dir: t.dir, key: t.name('dn3'), pool, dns: true });
      assert.deepEqual(bound(served.path), ['tcp 127.0.0.11:53', 'udp 127.0.0.11:53']);
      assert.deepEqual(bound(plain.path), [], 'a sandbox without the embedded DNS has no socket');
      assert.equal(plain.takeDnsSockets(), undefined);
      const sockets = served.takeDnsSockets();
      assert.ok(sockets !== undefined);
      assert.equal(served.takeDnsSockets(), undefined, 'handed over once');
      for (const fd of [sockets.udp, sockets.tcp]) assert.match(readlinkSync(`/proc/self/fd/${fd}`), /^socket:/);
      closeSync(sockets.udp);
      closeSync(sockets.tcp);
      // `unused` never hands its sockets over: destroy closes them.
      for (const sandbox of [served, plain, unused]) await sandbox.destroy();
    } finally {
      await pool.close();
    }
    for (let i = 0; i < 100 && readdirSync('/proc/self/fd').length !== fdsBefore; i++) await sleep(10);
    assert.equal(readdirSync('/proc/self/fd').length, fdsBefore, 'the spares and their sockets are closed');
  });
});
