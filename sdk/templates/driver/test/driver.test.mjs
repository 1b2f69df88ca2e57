// Unit tests of the __NAME__ driver against the SDK's mock host (no root, no kernel).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { MockInterfaceInfo, MockJoinInfo, errorOf, loadDriver } from '@wasmnet/sdk';

const wasm = fileURLToPath(new URL('../build/__NAME__.wasm', import.meta.url));

test('registers the __NAME__ network type', async () => {
  const { host, driver, handle } = await loadDriver(wasm);
  assert.deepEqual(
    host.drivers.map((d) => d.name),
    ['__NAME__'],
  );
  assert.equal(driver.type(handle('__NAME__')), '__NAME__');
});

test('an endpoint gets a MAC derived from its IPv4 address', async () => {
  const { driver, handle } = await loadDriver(wasm);
  const iface = new MockInterfaceInfo({ address: '172.18.0.2/16' });
  driver.createEndpoint(handle('__NAME__'), 'net1', 'ep1', iface, []);
  assert.equal(iface.mac, '02:42:ac:12:00:02');
});

test('an endpoint without an address is refused', async () => {
  const { driver, handle } = await loadDriver(wasm);
  const error = errorOf(() => driver.createEndpoint(handle('__NAME__'), 'net1', 'ep1', new MockInterfaceInfo(), []));
  assert.equal(error.tag, 'invalid-parameter');
});

test('join creates a veth whose peer lives in the sandbox, leave deletes it', async () => {
  const { host, driver, handle } = await loadDriver(wasm);
  const join = new MockJoinInfo();
  driver.join(handle('__NAME__'), 'net1', 'ep1abcdef', '/var/run/netns/sb1', join, []);
  const [add] = host.calls('linkAdd');
  assert.equal(add.args[0].name, 'vethep1abcd');
  assert.deepEqual(add.args[0].kind.val.netns, { tag: 'sandbox', val: '/var/run/netns/sb1' });
  assert.deepEqual(join.names, { srcName: 'tmpep1abcd', dstPrefix: 'eth' });
  driver.leave(handle('__NAME__'), 'net1', 'ep1abcdef');
  assert.equal(host.calls('linkDel').length, 1);
  assert.equal(host.links.get('host')?.size, 0);
});
