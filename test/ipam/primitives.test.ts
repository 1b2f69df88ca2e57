import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatV4, formatV6, parseV4, parseV6 } from '../../ipam/address.js';
import { Bitmap } from '../../ipam/bitmap.js';
import { formatPrefix, parsePrefix } from '../../ipam/prefix.js';
import { RangeSet } from '../../ipam/range-set.js';

test('IPv4 text round-trips and malformed text is refused', () => {
  assert.equal(parseV4('172.18.0.2'), 0xac120002);
  assert.equal(parseV4('172.18.0.2/16'), 0xac120002);
  assert.equal(formatV4(0xac120002), '172.18.0.2');
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1..2.3', 'a.b.c.d', '1.2.3.4 ']) {
    assert.equal(parseV4(bad), undefined, bad);
  }
});

test('IPv6 text round-trips in RFC 5952 form', () => {
  assert.equal(formatV6(parseV6('2001:DB8:0:0:1:0:0:1') as bigint), '2001:db8::1:0:0:1');
  assert.equal(formatV6(parseV6('::') as bigint), '::');
  assert.equal(formatV6(parseV6('::1') as bigint), '::1');
  assert.equal(formatV6(parseV6('fd00::') as bigint), 'fd00::');
  assert.equal(formatV6(parseV6('1:2:3:4:5:6:7:8') as bigint), '1:2:3:4:5:6:7:8');
  assert.equal(parseV6('::ffff:1.2.3.4'), 0xffff01020304n);
  for (const bad of ['1::2::3', '1:2:3:4:5:6:7', '12345::', 'fe80::1%eth0', ':::', 'g::1']) {
    assert.equal(parseV6(bad), undefined, bad);
  }
});

test('prefixes are canonicalised and malformed ones refused', () => {
  assert.equal(formatPrefix(parsePrefix('172.18.3.4/16')!), '172.18.0.0/16');
  assert.equal(formatPrefix(parsePrefix('2001:db8::7/48')!), '2001:db8::/48');
  for (const bad of ['172.18.0.0', '172.18.0.0/33', '::/129', '172.18.0.0/-1', '172.18.0.0/016', 'x/8', '']) {
    assert.equal(parsePrefix(bad), undefined, bad);
  }
});

test('bitmap finds the lowest clear bit across chunks and after clears', () => {
  const bits = new Bitmap(200_000);
  for (let i = 0; i < 70_000; i++) {
    assert.equal(bits.nextClear(0, 199_999), i);
    bits.set(i);
  }
  bits.clear(5);
  assert.equal(bits.nextClear(0, 199_999), 5);
  assert.equal(bits.nextClear(6, 199_999), 70_000);
  assert.equal(bits.nextClear(6, 69_999), -1);
  assert.equal(bits.has(4), true);
  assert.equal(bits.clear(100_000), false);
  const tiny = new Bitmap(3);
  tiny.set(0);
  tiny.set(1);
  tiny.set(2);
  assert.equal(tiny.nextClear(0, 2), -1);
});

test('run set merges, splits and finds absent points', () => {
  const set = new RangeSet();
  set.add(1n, 1n);
  set.add(3n, 3n);
  assert.equal(set.runs, 2);
  set.add(2n, 2n);
  assert.equal(set.runs, 1);
  assert.equal(set.nextAbsent(0n, 10n), 0n);
  assert.equal(set.nextAbsent(1n, 10n), 4n);
  assert.equal(set.nextAbsent(1n, 3n), undefined);
  set.delete(2n, 2n);
  assert.equal(set.runs, 2);
  assert.equal(set.has(2n), false);
  assert.equal(set.overlapEnd(0n, 1n), 1n);
  assert.equal(set.overlapEnd(4n, 9n), undefined);
  set.add(0n, 100n);
  assert.equal(set.runs, 1);
  set.delete(10n, 20n);
  assert.equal(set.nextAbsent(0n, 100n), 10n);
  assert.equal(set.nextAbsent(21n, 100n), undefined);
});
