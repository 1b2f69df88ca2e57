import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DriverRegistry,
  Forbidden,
  InvalidParameter,
  NotFound,
  type Driver,
  type RegistryChange,
} from '../../host/drivers/index.js';

const driver = {} as Driver;
const local = { dataScope: 'local', connectivityScope: 'local', externalConnectivity: 'always' } as const;

test('registers, looks up and walks network and IPAM drivers by name', () => {
  const registry = new DriverRegistry();
  registry.registerDriver('null', driver, local);
  registry.registerDriver('bridge', driver, local, 'bridge.wasm');
  registry.registerIpamDriver('default', {} as never, { requiresMacAddress: false, requiresRequestReplay: false });
  assert.equal(registry.driver('bridge')?.owner, 'bridge.wasm');
  assert.deepEqual(registry.driver('null')?.capability, local);
  assert.equal(registry.driver('nope'), undefined);
  assert.equal(registry.ipam('default')?.capability.requiresMacAddress, false);
  const seen: string[] = [];
  registry.walkDrivers((name) => {
    seen.push(name);
    return true;
  });
  assert.deepEqual(seen, ['null'], 'walk stops when the visitor returns true');
  const ipams: string[] = [];
  registry.walkIpams((name) => {
    ipams.push(name);
  });
  assert.deepEqual(ipams, ['default']);
});

test('refuses empty and duplicate names and a built-in name taken by another owner', () => {
  const registry = new DriverRegistry({ builtins: { bridge: 'bridge' } });
  assert.throws(() => registry.registerDriver('', driver, local), InvalidParameter);
  assert.throws(() => registry.registerDriver('  ', driver, local), InvalidParameter);
  assert.throws(() => registry.registerDriver('bridge', driver, local, 'evil'), Forbidden);
  registry.registerDriver('bridge', driver, local, 'bridge');
  registry.registerDriver('mine', driver, local, 'a');
  assert.throws(() => registry.registerDriver('mine', driver, local, 'b'), /already registered by a/);
  assert.throws(() => registry.registerDriver('mine', driver, local, 'a'), Forbidden);
  assert.throws(() => registry.unregister('driver', 'mine', 'b'), Forbidden);
  assert.throws(() => registry.unregister('driver', 'gone', 'a'), NotFound);
});

test('announces drivers that appear, change and go', () => {
  const registry = new DriverRegistry();
  const changes: RegistryChange[] = [];
  registry.on('change', (change) => changes.push(change));
  registry.registerDriver('x', driver, local, 'o');
  registry.changed('driver', 'x', { dataScope: 'global', connectivityScope: 'global', externalConnectivity: 'always' });
  registry.unregister('driver', 'x', 'o');
  assert.deepEqual(
    changes.map((c) => `${c.kind}:${c.name}:${c.change}:${c.owner}`),
    ['driver:x:added:o', 'driver:x:changed:o', 'driver:x:removed:o'],
  );
});
