// Namespaces: create, open, switch in and back, delete; typed errors for missing ones.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  NetlinkError,
  InvalidInputError,
  Rtnl,
  createNetns,
  deleteNetns,
  openNetns,
  withNetns,
} from '../../host/netlink/index.js';
import { ipJson, makeHost } from './helpers.js';
import { needsRoot } from '../support/root.js';

describe('namespaces', needsRoot, () => {
  const t = makeHost();
  after(() => t.cleanup());

  it('creates a namespace bound under the directory and switches back after running inside', () => {
    const before = readlinkSync('/proc/thread-self/ns/net');
    const inside = withNetns(t.host.path, () => readlinkSync('/proc/thread-self/ns/net'));
    assert.notEqual(inside, before);
    assert.equal(readlinkSync('/proc/thread-self/ns/net'), before);
    assert.throws(
      () =>
        withNetns(t.host.path, () => {
          throw new Error('boom');
        }),
      /boom/,
    );
    assert.equal(readlinkSync('/proc/thread-self/ns/net'), before, 'switched back after a throw');
    const links = ipJson<{ ifname: string }[]>(t.host.path as string, 'link', 'show');
    assert.deepEqual(
      links.map((l) => l.ifname),
      ['lo'],
    );
  });

  it('opens by path (cached) and deletes, closing the socket', () => {
    const ns = createNetns(t.dir, t.name('a'));
    assert.equal(openNetns(ns.path as string), ns);
    assert.equal(new Rtnl(ns).linkList().length, 1);
    deleteNetns(ns);
    assert.equal(existsSync(ns.path as string), false);
    assert.throws(() => ns.socket(), NetlinkError);
  });

  it('gives typed errors for missing namespaces and bad names', () => {
    assert.throws(
      () => openNetns(`${t.dir}/missing`),
      (e: unknown) => e instanceof NetlinkError && e.errnoName === 'ENOENT' && e.message.includes('missing'),
    );
    assert.throws(() => withNetns(`${t.dir}/missing`, () => 1), NetlinkError);
    assert.throws(() => createNetns(t.dir, 'a/b'), InvalidInputError);
    assert.throws(
      () => createNetns(t.dir, t.name('host')),
      (e: unknown) => e instanceof NetlinkError && e.errnoName === 'EEXIST',
    );
    // A veth whose peer would go into a deleted namespace.
    const gone = createNetns(t.dir, t.name('gone'));
    deleteNetns(gone);
    assert.throws(
      () =>
        new Rtnl(t.host).linkAdd({ name: 'vz0', kind: { tag: 'veth', val: { name: 'eth0', netns: gone } }, up: true }),
      NetlinkError,
    );
    assert.deepEqual(readdirSync(t.dir), [basename(t.host.path as string)], 'no namespace file left behind');
    assert.deepEqual(
      ipJson<{ ifname: string }[]>(t.host.path as string, 'link', 'show').map((l) => l.ifname),
      ['lo'],
      'no link left behind',
    );
  });
});

describe('the process namespace', needsRoot, () => {
  const t = makeHost();
  after(() => t.cleanup());

  it('is entered again when asked for from inside another namespace', () => {
    const home = readlinkSync('/proc/thread-self/ns/net');
    const seen = withNetns(t.host.path, () => withNetns(null, () => readlinkSync('/proc/thread-self/ns/net')));
    assert.equal(seen, home);
  });
});
