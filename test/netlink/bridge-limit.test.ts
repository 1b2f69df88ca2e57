// A bridge takes at most 1023 ports: the 1024th surfaces as a clear EXFULL error.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { NetlinkError } from '../../host/netlink/index.js';
import { makeHost } from './helpers.js';
import { needsRoot } from '../support/root.js';

describe('bridge port limit', needsRoot, () => {
  const t = makeHost();
  after(() => t.cleanup());

  it('refuses the 1024th port with EXFULL, naming the request and the namespace', () => {
    t.rtnl.linkAdd({ name: 'br0', kind: { tag: 'bridge' }, up: true });
    const batch = t.rtnl.batch();
    // veth ends as ports (every kernel has veth); created in batches, many per send.
    for (let i = 0; i < 1023; i++)
      batch.linkAdd({ name: `p${i}`, kind: { tag: 'veth', val: { name: `q${i}` } }, master: 'br0', up: false });
    batch.commit();
    assert.equal(t.rtnl.linkList().filter((l) => l.master === 'br0').length, 1023);
    assert.throws(
      () => t.rtnl.linkAdd({ name: 'p1023', kind: { tag: 'veth', val: { name: 'q1023' } }, master: 'br0', up: false }),
      (e: unknown) =>
        e instanceof NetlinkError &&
        e.errnoName === 'EXFULL' &&
        e.message.includes('create veth p1023') &&
        e.message.includes(t.host.path as string),
    );
    assert.throws(
      () => t.rtnl.linkGet('p1023'),
      (e: unknown) => e instanceof NetlinkError && e.errnoName === 'ENODEV',
      'nothing left behind',
    );
  });
});
