// Pure checks: validation, encoding, errors and the ownership registry (no kernel involved).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ForbiddenError,
  InvalidInputError,
  NetlinkError,
  OwnershipRegistry,
  checkLinkName,
  formatIp,
  parseCidr,
  parseIp,
  parseMac,
} from '../../host/netlink/index.js';
import { parseAttrs, Writer } from '../../host/netlink/codec.js';
import { decodeLink } from '../../host/netlink/decode.js';
import { newLink } from '../../host/netlink/requests.js';

describe('validation', () => {
  it('accepts names up to 15 bytes and refuses longer ones, "/" and empty', () => {
    assert.equal(checkLinkName('a'.repeat(15)), 'a'.repeat(15));
    for (const bad of ['a'.repeat(16), 'a/b', '', 'a b', 'é'.repeat(8)])
      assert.throws(() => checkLinkName(bad), InvalidInputError);
  });

  it('parses MACs, IPs and CIDRs, and refuses malformed ones', () => {
    assert.deepEqual([...parseMac('02:42:0a:00:00:01')], [2, 0x42, 10, 0, 0, 1]);
    for (const bad of ['02:42:0a:00:00', '02-42-0a-00-00-01', 'zz:42:0a:00:00:01'])
      assert.throws(() => parseMac(bad), InvalidInputError);
    assert.equal(parseCidr('10.0.0.1/24').prefix, 24);
    assert.equal(formatIp(10, parseIp('fd00::1').bytes), 'fd00::1');
    assert.equal(formatIp(10, parseIp('2001:db8:0:0:1::1').bytes), '2001:db8::1:0:0:1');
    for (const bad of ['10.0.0.1', '10.0.0.1/33', '10.0.0/24', 'fd00::1/129', 'x/1'])
      assert.throws(() => parseCidr(bad), InvalidInputError);
  });
});

describe('encoding', () => {
  it('nests attributes with 4-byte alignment', () => {
    const buf = new Writer()
      .str(3, 'ab')
      .nest(18, (w) => w.u32(1, 7).u8(2, 1))
      .done();
    const attrs = parseAttrs(buf);
    assert.equal(attrs.get(3)?.toString(), 'ab\0');
    const nested = parseAttrs(attrs.get(18) as Buffer);
    assert.equal(nested.get(1)?.readUInt32LE(0), 7);
    assert.equal(nested.get(2)?.length, 1);
    assert.equal(buf.length % 4, 0);
  });

  it('builds a veth with its peer in another namespace and decodes link replies', () => {
    const request = newLink(
      { name: 'vh0', up: true, kind: { tag: 'veth', val: { name: 'eth0', mac: '02:00:00:00:00:01' } } },
      { peerNetnsFd: 9 },
    );
    const attrs = parseAttrs(request.payload, 16);
    assert.equal(attrs.get(3)?.toString(), 'vh0\0');
    const info = decodeLink(request.payload);
    assert.equal(info.name, 'vh0');
    assert.equal(info.kind, 'veth');
    assert.equal(info.up, true, 'this end is created up');
    const data = parseAttrs(parseAttrs(attrs.get(18) as Buffer).get(2) as Buffer);
    const peer = data.get(1) as Buffer;
    assert.equal(
      peer.readUInt32LE(8) & 1,
      0,
      'the peer is not asked to be up (it would open before the pair is linked)',
    );
    const peerAttrs = parseAttrs(peer, 16);
    assert.equal(peerAttrs.get(3)?.toString(), 'eth0\0');
    assert.equal(peerAttrs.get(28)?.readUInt32LE(0), 9, 'IFLA_NET_NS_FD');
    assert.equal(request.flags & 0x8, 0, 'no NLM_F_ECHO: the peer would be echoed in its own namespace');
  });
});

describe('errors', () => {
  it('names the errno, the request and the namespace', () => {
    const error = new NetlinkError(54, 'create veth v1 peer eth0', '/run/x/h', 'too many ports');
    assert.equal(error.errnoName, 'EXFULL');
    assert.match(error.message, /create veth v1 peer eth0 in netns \/run\/x\/h: EXFULL/);
    assert.equal(new NetlinkError(19, 'get link x', 'self').code, 'not-found');
    assert.equal(new NetlinkError(17, 'x', 'self').code, 'invalid-parameter');
  });
});

describe('ownership', () => {
  const host = { tag: 'host' } as const;
  const sandbox = { tag: 'sandbox', val: 'sb1' } as const;

  it('lets a driver change only its own links', () => {
    const registry = new OwnershipRegistry();
    registry.check('bridge', 'create', host, 'br0');
    registry.recordLink('bridge', host, 'br0');
    registry.check('bridge', 'change', host, 'br0');
    registry.check('bridge', 'master', host, 'br0');
    assert.throws(
      () => registry.check('other', 'delete', host, 'br0'),
      (e: unknown) => e instanceof ForbiddenError && e.code === 'forbidden' && /driver bridge/.test(e.message),
    );
    assert.throws(() => registry.check('other', 'create', host, 'br0'), ForbiddenError);
  });

  it('refuses lo and links nobody created (eth0)', () => {
    const registry = new OwnershipRegistry();
    assert.throws(() => registry.check('bridge', 'delete', host, 'eth0'), /not created by a driver/);
    assert.throws(() => registry.check('bridge', 'change', host, 'lo'), /loopback/);
    assert.throws(() => registry.check('bridge', 'create', host, 'lo'), ForbiddenError);
  });

  it('allows a sandbox only while joining it, and a parent only when granted', () => {
    const registry = new OwnershipRegistry();
    assert.throws(() => registry.check('macvlan', 'create', sandbox, 'eth0'), /not joining/);
    registry.join('macvlan', 'sb1');
    registry.check('macvlan', 'create', sandbox, 'eth0');
    registry.check('macvlan', 'route', sandbox);
    assert.throws(() => registry.check('macvlan', 'parent', host, 'eth0'), /options/);
    assert.throws(() => registry.check('macvlan', 'read', host, 'eth0'), /not created by a driver/);
    registry.grantParent('macvlan', 'eth0');
    registry.check('macvlan', 'parent', host, 'eth0');
    registry.check('macvlan', 'read', host, 'eth0');
    assert.throws(() => registry.check('macvlan', 'change', host, 'eth0'), /not created by a driver/);
    assert.throws(() => registry.check('macvlan', 'delete', host, 'eth0'), /not created by a driver/);
    registry.leave('macvlan', 'sb1');
    assert.throws(() => registry.check('macvlan', 'create', sandbox, 'eth0'), ForbiddenError);
  });

  it('round-trips through JSON', () => {
    const registry = new OwnershipRegistry();
    registry.recordLink('bridge', host, 'br0');
    registry.recordLink('bridge', sandbox, 'eth0');
    registry.join('bridge', 'sb1');
    registry.grantParent('macvlan', 'eth1');
    registry.renameLink(host, 'br0', 'br1');
    const copy = OwnershipRegistry.fromJSON(JSON.parse(JSON.stringify(registry)));
    assert.deepEqual(copy.toJSON(), registry.toJSON());
    assert.equal(copy.owner(host, 'br1'), 'bridge');
    assert.deepEqual(copy.linksOf('bridge', sandbox), ['eth0']);
    copy.forgetNamespace(sandbox);
    assert.throws(() => copy.check('bridge', 'change', sandbox, 'eth0'), ForbiddenError);
  });
});
