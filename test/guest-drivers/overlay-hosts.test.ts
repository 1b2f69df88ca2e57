// The overlay driver on the kernel: three controllers in this process, each plumbing a "host"
// namespace of its own (hostNetns), peers through one InProcessTableStore, the hosts joined by an
// underlay bridge in a fourth namespace. Containers on different hosts ping each other over
// VXLAN; a leave or a delete removes the endpoint's neighbour and FDB entries on every host.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { InProcessTableStore } from '../../host/controller/index.js';
import type { Controller, Endpoint, Network, Sandbox } from '../../host/index.js';
import { ipJson, makeHost, ping, type TestHost } from '../controller/fixtures.js';
import { needsRoot } from '../support/root.js';
import { createUnderlay, UNDERLAY_LINK } from '../support/underlay.js';

const NETWORK_ID = 'c0ffee00c0ffee00c0ffee00c0ffee00';
const VXLAN = `vx-${NETWORK_ID.slice(0, 12)}`;

interface VxlanLink {
  ifname: string;
  mtu: number;
  master?: string;
  linkinfo: {
    info_kind: string;
    info_data: { id: number; local: string; port: number; learning: boolean; proxy: boolean };
  };
}
interface Neighbour {
  dst: string;
  lladdr: string;
  state: string[];
}
interface FdbEntry {
  mac: string;
  dst?: string;
  flags: string[];
  state?: string;
}

function linksOf(h: TestHost): string[] {
  return ipJson<Array<{ ifname: string }>>(h.host.path as string, 'link', 'show').map((l) => l.ifname);
}

/** The remote peers a host's VXLAN device holds: "IP MAC" neighbours and "MAC VTEP" FDB entries. */
function peersOn(h: TestHost): { neighbours: string[]; fdb: string[] } {
  const path = h.host.path as string;
  const neighbours = ipJson<Neighbour[]>(path, 'neigh', 'show', 'dev', VXLAN)
    .filter((n) => n.state.includes('PERMANENT'))
    .map((n) => `${n.dst} ${n.lladdr}`)
    .sort();
  const fdb = (
    JSON.parse(
      execFileSync('nsenter', [`--net=${path}`, 'bridge', '-j', 'fdb', 'show', 'dev', VXLAN], { encoding: 'utf8' }),
    ) as FdbEntry[]
  )
    .filter((f) => f.dst !== undefined && f.state === 'permanent' && f.flags.includes('self'))
    .map((f) => `${f.mac} ${f.dst}`)
    .sort();
  return { neighbours, fdb };
}

test('overlay: containers on three hosts ping each other; leave and delete remove the peers everywhere', {
  ...needsRoot,
  timeout: 120_000,
}, async (t) => {
  const hosts = [makeHost('o1'), makeHost('o2'), makeHost('o3')];
  t.after(() => {
    for (const h of hosts) h.cleanup();
  });
  const underlay = createUnderlay(
    hosts[0]!.namespaceDir('underlay'),
    'underlay',
    hosts.map((h) => h.host),
  );
  const tables = new InProcessTableStore();
  const controllers: Controller[] = [];
  t.after(async () => {
    for (const c of controllers) await c.close();
  });
  for (const [n, h] of hosts.entries()) {
    controllers.push(
      await h.controller({ drivers: undefined, tableStore: tables, advertiseAddress: underlay.addresses[n] }),
    );
  }

  // The same network on every host (each allocating its own quarter of the subnet, as a global
  // IPAM would keep them apart).
  const networks: Network[] = await Promise.all(
    controllers.map((c, n) =>
      c.newNetwork('overlay', 'ov', {
        id: NETWORK_ID,
        ipam: { config: [{ subnet: '10.80.0.0/24', ipRange: `10.80.0.${64 * (n + 1)}/26` }] },
      }),
    ),
  );
  const vnis = new Set(
    networks.map((net) => net.info().driverOptions['com.docker.network.driver.overlay.vxlanid_list']),
  );
  assert.equal(vnis.size, 1, 'the VNI comes from the network id: the same on every host');
  for (const [n, h] of hosts.entries()) {
    const [vxlan] = ipJson<VxlanLink[]>(h.host.path as string, '-d', 'link', 'show', VXLAN);
    assert.equal(vxlan?.linkinfo.info_kind, 'vxlan');
    assert.equal(String(vxlan?.linkinfo.info_data.id), [...vnis][0]);
    assert.equal(vxlan?.linkinfo.info_data.local, underlay.addresses[n]);
    assert.equal(vxlan?.linkinfo.info_data.port, 4789);
    assert.equal(vxlan?.linkinfo.info_data.learning, false);
    assert.equal(vxlan?.linkinfo.info_data.proxy, true);
    assert.equal(vxlan?.mtu, 1450);
    assert.equal(vxlan?.master, `ov-${NETWORK_ID.slice(0, 12)}`);
  }

  const joined: Array<{ endpoint: Endpoint; sandbox: Sandbox; address: string; mac: string }> = [];
  for (const [n, c] of controllers.entries()) {
    const endpoint = await networks[n]!.createEndpoint(`ep${n}`);
    const sandbox = await c.newSandbox(`box${n}`);
    await endpoint.join(sandbox);
    const address = endpoint.info().ipv4Address?.split('/')[0] as string;
    joined.push({ endpoint, sandbox, address, mac: endpoint.info().macAddress as string });
  }
  for (const [n, h] of hosts.entries()) {
    const others = joined.filter((_, m) => m !== n);
    assert.deepEqual(peersOn(h), {
      neighbours: others.map((o) => `${o.address} ${o.mac}`).sort(),
      fdb: others.map((o, m) => `${o.mac} ${underlay.addresses[m >= n ? m + 1 : m]}`).sort(),
    });
    const [eth0]: Array<{ mtu: number }> = ipJson(joined[n]!.sandbox.key(), 'link', 'show', 'eth0');
    assert.equal(eth0?.mtu, 1450, "the container's interface leaves room for the VXLAN header");
  }
  for (const from of joined) {
    for (const to of joined) {
      if (from !== to) assert.ok(ping(from.sandbox.key(), to.address), `${from.address} reaches ${to.address}`);
    }
  }

  // Host 3's container leaves: hosts 1 and 2 forget it; host 3 still knows them.
  const third = joined[2]!;
  await third.endpoint.leave(third.sandbox);
  for (const h of hosts.slice(0, 2)) {
    assert.ok(!peersOn(h).neighbours.some((entry) => entry.startsWith(`${third.address} `)));
    assert.ok(!peersOn(h).fdb.some((entry) => entry.startsWith(`${third.mac} `)));
  }
  assert.equal(peersOn(hosts[2]!).neighbours.length, 2);
  assert.ok(ping(joined[0]!.sandbox.key(), joined[1]!.address), 'the others still reach each other');

  // Host 2 deletes its endpoint and the network: its devices go, and host 1 forgets its peer.
  const second = joined[1]!;
  await second.endpoint.leave(second.sandbox);
  await second.endpoint.delete();
  await networks[1]!.delete();
  assert.ok(!linksOf(hosts[1]!).includes(VXLAN));
  assert.deepEqual(peersOn(hosts[0]!), { neighbours: [], fdb: [] });
  assert.deepEqual(peersOn(hosts[2]!).neighbours, [`${joined[0]!.address} ${joined[0]!.mac}`]);

  const first = joined[0]!;
  await first.endpoint.leave(first.sandbox);
  for (const [n, { endpoint, sandbox }] of joined.entries()) {
    if (n !== 1) await endpoint.delete();
    await sandbox.delete();
  }
  await networks[0]!.delete();
  await networks[2]!.delete();
  for (const h of hosts) {
    assert.deepEqual(linksOf(h).sort(), ['lo', UNDERLAY_LINK], 'nothing of the overlay is left on the host');
  }
});
