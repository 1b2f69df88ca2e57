// The embedded DNS in real sandbox namespaces: containers resolve each other's names and aliases
// on the networks they share only, unknown names go to an upstream (a stub on loopback inside
// the test's own "host" namespace), and a restart serves the live sandboxes again.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { Rtnl } from '../../host/netlink/index.js';
import { makeHost } from '../controller/fixtures.js';
import { DnsClient, StubUpstream, TYPE } from './client.js';
import { rootSkip } from '../support/root.js';

const skip = rootSkip;

test('sandboxes resolve names and aliases of their networks only; others are forwarded upstream', {
  skip,
}, async (t) => {
  const h = makeHost();
  t.after(() => h.cleanup());
  // The fixture's host resolv.conf names 127.0.0.53 first: the stub upstream answers there.
  new Rtnl(h.host).linkSet('lo', { up: true });
  const upstream = new StubUpstream(h.host.path as string, '127.0.0.53', { 'outside.example': '192.0.2.7' });
  t.after(() => upstream.close());
  let controller = await h.controller();
  t.after(() => controller.close());

  const front = await controller.newNetwork('bridge', 'front', { ipam: { config: [{ subnet: '10.90.0.0/24' }] } });
  const back = await controller.newNetwork('bridge', 'back', { ipam: { config: [{ subnet: '10.91.0.0/24' }] } });
  const web = await controller.newSandbox('web', { hostname: 'webhost' });
  const db = await controller.newSandbox('db');
  const other = await controller.newSandbox('other');
  await (await front.createEndpoint('web')).join(web);
  await (await front.createEndpoint('db', { aliases: ['database', 'Primary.DB'] })).join(db);
  await (await back.createEndpoint('other')).join(other);

  assert.equal(
    readFileSync(web.info().resolvConfPath, 'utf8'),
    'nameserver 127.0.0.11\nsearch example.test\noptions ndots:2\n',
    "Docker's resolv.conf: the embedded resolver, the host's search and options",
  );
  const fromWeb = new DnsClient(web.key());
  const fromOther = new DnsClient(other.key());
  t.after(() => {
    fromWeb.close();
    fromOther.close();
  });

  for (const name of ['db', 'database', 'primary.db', 'DB.front', 'db.'])
    assert.deepEqual((await fromWeb.ask(name))?.answers, ['10.90.0.3'], name);
  assert.deepEqual((await fromWeb.ask('webhost'))?.answers, ['10.90.0.2'], 'a host name resolves');
  const noV6 = await fromWeb.ask('db', TYPE.AAAA);
  assert.deepEqual([noV6?.rcode, noV6?.answers], [0, []], 'a known name without IPv6: NOERROR, no answer');
  assert.deepEqual((await fromWeb.ask('3.0.90.10.in-addr.arpa', TYPE.PTR))?.answers, ['db.front']);

  assert.deepEqual((await fromWeb.ask('outside.example'))?.answers, ['192.0.2.7'], 'forwarded upstream');
  assert.equal((await fromWeb.ask('nowhere.example'))?.rcode, 3, "the upstream's NXDOMAIN comes back");
  const asked = upstream.asked.length;
  const unseen = await fromOther.ask('db');
  assert.equal(unseen?.rcode, 3, 'a container on another network is not known there');
  assert.deepEqual(upstream.asked.slice(asked), ['db'], 'so the name goes upstream like any other');

  // The busybox of the machine (Debian's busybox-static) asks from inside the sandbox (a child
  // process, waited for without blocking: the resolver answers from this process).
  if (existsSync('/bin/busybox')) {
    const nslookup = ['nslookup', 'database', '127.0.0.11'];
    const { stdout } = await promisify(execFile)('nsenter', [`--net=${web.key()}`, '/bin/busybox', ...nslookup]);
    assert.match(stdout, /Address:\s+10\.90\.0\.3/);
  }

  // A restart serves the live sandboxes again; a deleted sandbox's resolver is gone with it.
  fromWeb.close();
  await controller.close();
  controller = await h.controller();
  const again = new DnsClient(web.key());
  t.after(() => again.close());
  assert.deepEqual((await again.ask('database'))?.answers, ['10.90.0.3']);
  await controller.sandboxByContainerId('db')!.delete();
  assert.equal((await again.ask('database'))?.rcode, 3, 'a deleted container no longer resolves');
  for (const sandbox of controller.sandboxes()) await sandbox.delete();
  for (const network of controller.networks()) {
    for (const endpoint of network.endpoints()) await endpoint.delete();
    await network.delete();
  }
});

test('no embedded DNS on request, nor in the host namespace; internal networks do not forward', { skip }, async (t) => {
  const h = makeHost();
  t.after(() => h.cleanup());
  new Rtnl(h.host).linkSet('lo', { up: true });
  const upstream = new StubUpstream(h.host.path as string, '127.0.0.53', {});
  t.after(() => upstream.close());
  const controller = await h.controller();
  t.after(() => controller.close());
  const plain = await controller.newSandbox('plain', { embeddedDns: false });
  assert.equal(
    readFileSync(plain.info().resolvConfPath, 'utf8'),
    'nameserver 10.99.0.53\nsearch example.test\noptions ndots:2\n',
  );
  await assert.rejects(controller.newSandbox('h', { useDefaultSandbox: true, embeddedDns: true }), {
    code: 'invalid-parameter',
  });
  const internal = await controller.newNetwork('bridge', 'inner', {
    internal: true,
    ipam: { config: [{ subnet: '10.92.0.0/24' }] },
  });
  const box = await controller.newSandbox('box');
  await (await internal.createEndpoint('box')).join(box);
  const client = new DnsClient(box.key());
  t.after(() => client.close());
  assert.deepEqual((await client.ask('box'))?.answers, ['10.92.0.2']);
  assert.equal(
    (await client.ask('outside.example'))?.rcode,
    2,
    'SERVFAIL: an internal network reaches nothing outside',
  );
  assert.deepEqual(upstream.asked, []);
  await box.delete();
  await plain.delete();
});
