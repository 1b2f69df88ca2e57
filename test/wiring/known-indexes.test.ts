// KnownIndexes: what the drivers' netlink backend remembers to skip link lookups.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KnownIndexes } from '../../host/wiring/known-indexes.js';

const host = { tag: 'host' } as const;
const sandbox = (key: string) => ({ tag: 'sandbox', val: key }) as const;

test('a bridge index is kept per namespace until its link is deleted or renamed', () => {
  const known = new KnownIndexes();
  known.learnMaster(host, 'br0', 7);
  known.learnMaster(sandbox('/run/x'), 'br0', 3);
  assert.equal(known.master(host, 'br0'), 7);
  assert.equal(known.master(sandbox('/run/x'), 'br0'), 3);
  known.forget(host, 'br0');
  assert.equal(known.master(host, 'br0'), undefined);
  assert.equal(known.master(sandbox('/run/x'), 'br0'), 3, 'another namespace keeps its own');
  known.forgetSandbox('/run/x');
  assert.equal(known.master(sandbox('/run/x'), 'br0'), undefined);
});

test('a veth peer index is claimed once, and goes with its sandbox or a change to the link', () => {
  const known = new KnownIndexes();
  known.learnPeer(sandbox('/run/a'), 'wn1', 2);
  assert.equal(known.claimPeer(sandbox('/run/a'), 'wn1'), 2);
  assert.equal(known.claimPeer(sandbox('/run/a'), 'wn1'), undefined, 'claimed once');
  known.learnPeer(sandbox('/run/a'), 'wn2', 3);
  known.forget(sandbox('/run/a'), 'wn2');
  assert.equal(known.claimPeer(sandbox('/run/a'), 'wn2'), undefined, 'a renamed or deleted link is forgotten');
  known.learnPeer(sandbox('/run/a'), 'wn3', 4);
  known.learnPeer(sandbox('/run/ab'), 'wn3', 5);
  known.forgetSandbox('/run/a');
  assert.equal(known.claimPeer(sandbox('/run/a'), 'wn3'), undefined, 'a deleted sandbox takes its peers');
  assert.equal(known.claimPeer(sandbox('/run/ab'), 'wn3'), 5, 'and only its own');
});

test('unclaimed peers are bounded: the oldest go first', () => {
  const known = new KnownIndexes();
  for (let i = 0; i < 100; i++) known.learnPeer(sandbox(`/run/s${i}`), 'wn', i);
  assert.equal(known.claimPeer(sandbox('/run/s0'), 'wn'), undefined);
  assert.equal(known.claimPeer(sandbox('/run/s99'), 'wn'), 99);
});
