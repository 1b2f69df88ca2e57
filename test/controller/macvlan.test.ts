// The built-in macvlan driver over the real Wasm driver runtime: its links are created on a parent
// in the test's own host namespace directly inside the sandboxes, in each mode; bad input is a
// typed error that leaves nothing behind.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { InvalidParameterError, NotFoundError } from '../../host/controller/index.js';
import type { Controller } from '../../host/index.js';
import { createNetns, Rtnl } from '../../host/netlink/index.js';
import { ipJson, makeHost, ping, type IpAddr, type IpRoute, type TestHost } from './fixtures.js';
import { needsRoot } from '../support/root.js';

interface IpLink {
  ifname: string;
  address: string;
  linkinfo?: { info_kind: string; info_data?: { mode?: string } };
}

const GATEWAY = '10.90.0.1';

/**
 * The parent: `uplink0` in the test's host namespace, a veth whose other end is in a "lan"
 * namespace holding the gateway's address (the router of the network macvlans sit on).
 */
function plugParent(h: TestHost): string {
  const lan = createNetns(h.namespaceDir('lan'), 'lan');
  new Rtnl(h.host).linkAdd({ name: 'uplink0', kind: { tag: 'veth', val: { name: 'lan0', netns: lan } }, up: true });
  const path = lan.path as string;
  execFileSync('nsenter', [`--net=${path}`, 'ip', 'addr', 'add', `${GATEWAY}/24`, 'dev', 'lan0']);
  execFileSync('nsenter', [`--net=${path}`, 'ip', 'link', 'set', 'lan0', 'up']);
  return path;
}

const hostLinks = (h: TestHost): string[] => ipJson<IpAddr[]>(h.host.path as string, 'link').map((l) => l.ifname);
const links = (path: string): string[] => ipJson<IpAddr[]>(path, 'link').map((l) => l.ifname);
const linkOf = (path: string, name: string): IpLink | undefined =>
  ipJson<IpLink[]>(path, '-d', 'link', 'show', name)[0];

async function withMacvlanHost(body: (h: TestHost, controller: Controller) => Promise<void>): Promise<void> {
  const h = makeHost();
  let controller: Controller | undefined;
  try {
    plugParent(h);
    controller = await h.controller({ drivers: undefined });
    await body(h, controller);
  } finally {
    await controller?.close();
    h.cleanup();
  }
}

function network(controller: Controller, name: string, subnet: string, driverOptions: Record<string, string>) {
  return controller.newNetwork('macvlan', name, { driverOptions, ipam: { config: [{ subnet }] } });
}

test('macvlan, bridge mode: two sandboxes on one parent ping each other and the gateway beyond it', needsRoot, () =>
  withMacvlanHost(async (h, controller) => {
    const before = hostLinks(h);
    const net = await network(controller, 'mv', '10.90.0.0/24', { parent: 'uplink0' });
    const [ep1, ep2] = [await net.createEndpoint('ep1'), await net.createEndpoint('ep2')];
    const [s1, s2] = [await controller.newSandbox('c1'), await controller.newSandbox('c2')];
    await ep1.join(s1);
    await ep2.join(s2);
    const eth0 = linkOf(s1.key(), 'eth0');
    assert.equal(eth0?.linkinfo?.info_kind, 'macvlan');
    assert.equal(eth0?.linkinfo?.info_data?.mode, 'bridge', 'the default mode');
    assert.equal(eth0?.address, '02:42:0a:5a:00:02', 'the MAC libnetwork derives from the address');
    assert.deepEqual(
      ipJson<IpRoute[]>(s1.key(), 'route', 'show', 'default').map((r) => [r.gateway, r.dev]),
      [[GATEWAY, 'eth0']],
      'the default route goes through the gateway IPAM gave',
    );
    assert.ok(ping(s1.key(), '10.90.0.3'), 'c1 reaches c2 through the parent');
    assert.ok(ping(s2.key(), '10.90.0.2'), 'c2 reaches c1');
    assert.ok(ping(s1.key(), GATEWAY), 'c1 reaches the gateway beyond the parent');
    assert.deepEqual(hostLinks(h), before, 'nothing is created in the host namespace');

    await ep1.leave(s1);
    assert.deepEqual(links(s1.key()), ['lo'], 'the link leaves with the endpoint');
    await ep1.join(s1);
    assert.ok(ping(s1.key(), '10.90.0.3'), 'and comes back with a re-join');
    // A deleted sandbox's macvlan lingers until the kernel frees its namespace: it must not keep
    // the MAC a new endpoint given the same address gets.
    await s1.delete();
    await ep1.delete();
    const ep3 = await net.createEndpoint('ep3');
    assert.equal(ep3.info().ipv4Address, '10.90.0.2/24', 'the address, and so the MAC, is given again');
    const s3 = await controller.newSandbox('c3');
    await ep3.join(s3);
    assert.ok(ping(s3.key(), '10.90.0.3'), 'c3 reaches c2 with the MAC c1 had');
    for (const box of controller.sandboxes()) await box.delete();
    for (const ep of net.endpoints()) await ep.delete();
    await net.delete();
    assert.deepEqual(controller.store.links.all(), [], 'no ownership row is left');
    assert.deepEqual(hostLinks(h), before);
  }),
);

test('macvlan modes: each link has its mode; private isolates the sandboxes; passthru takes one', needsRoot, () =>
  withMacvlanHost(async (h, controller) => {
    const before = hostLinks(h);
    for (const mode of ['private', 'vepa', 'passthru', 'bridge']) {
      const net = await network(controller, mode, '10.90.0.0/24', { parent: 'uplink0', macvlan_mode: mode });
      const [ep1, ep2] = [await net.createEndpoint('ep1'), await net.createEndpoint('ep2')];
      const [s1, s2] = [await controller.newSandbox(`${mode}1`), await controller.newSandbox(`${mode}2`)];
      await ep1.join(s1);
      assert.equal(linkOf(s1.key(), 'eth0')?.linkinfo?.info_data?.mode, mode);
      assert.ok(ping(s1.key(), GATEWAY), `${mode}: reaches the gateway`);
      if (mode === 'passthru') {
        await assert.rejects(ep2.join(s2), (error: unknown) => {
          assert.ok(error instanceof InvalidParameterError, String(error));
          assert.match(error.message, /already has a passthru macvlan/);
          return true;
        });
        assert.deepEqual(links(s2.key()), ['lo'], 'the refused join left nothing');
      } else {
        await ep2.join(s2);
        // Private: no frame between macvlans of one parent. Vepa: only through a switch that
        // hairpins, which the lan's veth is not. Bridge: directly.
        assert.equal(ping(s1.key(), '10.90.0.3'), mode === 'bridge', `${mode}: c1 to c2`);
      }
      for (const box of [s1, s2]) await box.delete();
      for (const ep of [ep1, ep2]) await ep.delete();
      await net.delete();
    }
    assert.deepEqual(controller.store.links.all(), []);
    assert.deepEqual(hostLinks(h), before);
  }),
);

test('macvlan: IPv6 addresses and gateway when enabled; an internal network gets no default route', needsRoot, () =>
  withMacvlanHost(async (_h, controller) => {
    const dual = await controller.newNetwork('macvlan', 'dual', {
      enableIPv6: true,
      driverOptions: { parent: 'uplink0' },
      ipam: { config: [{ subnet: '10.90.0.0/24' }, { subnet: 'fd00:90::/64' }] },
    });
    const [ep1, ep2] = [await dual.createEndpoint('ep1'), await dual.createEndpoint('ep2')];
    const [s1, s2] = [await controller.newSandbox('c1'), await controller.newSandbox('c2')];
    await ep1.join(s1);
    await ep2.join(s2);
    const v6 = ipJson<IpRoute[]>(s1.key(), '-6', 'route', 'show', 'default').map((r) => [r.gateway, r.dev]);
    assert.deepEqual(v6, [['fd00:90::1', 'eth0']], 'the IPv6 default route goes through the IPv6 gateway');
    const peer = (ep2.info().ipv6Address ?? '').split('/')[0] as string;
    execFileSync('nsenter', [`--net=${s1.key()}`, 'ping', '-6', '-c', '1', '-W', '2', peer], { stdio: 'ignore' });
    for (const box of [s1, s2]) await box.delete();
    for (const ep of [ep1, ep2]) await ep.delete();
    await dual.delete();

    const internal = await controller.newNetwork('macvlan', 'internal', {
      internal: true,
      driverOptions: { parent: 'uplink0' },
      ipam: { config: [{ subnet: '10.90.0.0/24' }] },
    });
    const ep = await internal.createEndpoint('ep');
    const box = await controller.newSandbox('c3');
    await ep.join(box);
    assert.deepEqual(ipJson<IpRoute[]>(box.key(), 'route', 'show', 'default'), [], 'no way out');
    assert.equal(ping(box.key(), GATEWAY), true, 'the parent network itself is still reached on-link');
    await box.delete();
    await ep.delete();
    await internal.delete();
    assert.deepEqual(controller.store.links.all(), []);
  }),
);

test('macvlan: bad input is a typed error and leaves no network or link behind', needsRoot, () =>
  withMacvlanHost(async (h, controller) => {
    const before = hostLinks(h);
    const cases: Array<[Record<string, string>, new (...args: never[]) => Error, RegExp]> = [
      [{}, InvalidParameterError, /option parent \(-o parent=IFACE\) is required/],
      [{ parent: 'missing0' }, NotFoundError, /parent interface missing0 does not exist/],
      [{ parent: 'lo' }, InvalidParameterError, /loopback/],
      [{ parent: 'uplink0', macvlan_mode: 'l2' }, InvalidParameterError, /macvlan_mode=l2 is not one of/],
      [{ parent: 'uplink0', 'com.docker.network.bridge.name': 'x' }, InvalidParameterError, /not supported/],
    ];
    for (const [options, type, message] of cases) {
      await assert.rejects(network(controller, 'bad', '10.91.0.0/24', options), (error: unknown) => {
        assert.ok(error instanceof type, `${JSON.stringify(options)}: ${String(error)}`);
        assert.match((error as Error).message, message);
        return true;
      });
      assert.equal(controller.networkByName('bad'), undefined);
    }
    // One network per parent, as libnetwork's macvlan.
    const first = await network(controller, 'first', '10.91.0.0/24', { parent: 'uplink0' });
    await assert.rejects(
      network(controller, 'second', '10.92.0.0/24', { parent: 'uplink0' }),
      /is already using parent interface uplink0/,
    );
    // Published ports are refused: a macvlan container is reached at its own address.
    const ep = await first.createEndpoint('ep');
    const box = await controller.newSandbox('c1');
    await assert.rejects(
      ep.join(box, { publish: [{ protocol: 'tcp', containerPort: 80, hostPort: 8080 }] }),
      (error: unknown) => error instanceof InvalidParameterError && /ports cannot be published/.test(error.message),
    );
    assert.deepEqual(links(box.key()), ['lo']);
    await box.delete();
    await ep.delete();
    await first.delete();
    assert.deepEqual(controller.store.links.all(), []);
    assert.deepEqual(hostLinks(h), before);
  }),
);
