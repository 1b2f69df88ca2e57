// The built-in null and host drivers: one network each, no plumbing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { MockInterfaceInfo, MockJoinInfo, MockNetworkInfo, errorOf, loadDriver } from '@wasmnet/sdk';
import { BUILT_GUEST_DRIVERS } from './paths.js';

for (const type of ['null', 'host']) {
  test(`${type}: one network per host, and no plumbing`, async () => {
    const { host, driver, handle } = await loadDriver(join(BUILT_GUEST_DRIVERS, `${type}.wasm`));
    const id = handle(type);
    assert.equal(driver.type(id), type);
    driver.createNetwork(id, 'net1', [], new MockNetworkInfo(), [], []);
    const error = errorOf(() => driver.createNetwork(id, 'net2', [], new MockNetworkInfo(), [], [])) as {
      tag: string;
      val: string;
    };
    assert.equal(error.tag, 'forbidden');
    assert.match(error.val, new RegExp(`only one instance of "${type}" network`));
    driver.createEndpoint(id, 'net1', 'ep1', new MockInterfaceInfo(), []);
    driver.join(id, 'net1', 'ep1', '/run/wasmnet/sb', new MockJoinInfo(), []);
    driver.leave(id, 'net1', 'ep1');
    driver.deleteEndpoint(id, 'net1', 'ep1');
    driver.deleteNetwork(id, 'net1');
    driver.createNetwork(id, 'net2', [], new MockNetworkInfo(), [], []);
    assert.equal(host.netlink.length, 0);
  });
}
