import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ApiServer } from '../../host/api/server.js';
import {
  ActiveEndpointsError,
  InvalidParameterError,
  NetworkNameError,
  NoSuchNetworkError,
} from '../../host/controller/errors.js';
import { toErrorResponse } from '../../host/api/errors.js';
import { InMemoryControllerPort } from './fake-controller.js';
import { tempDir } from '../support/temp-dir.js';
import { raw } from './helpers.js';

async function start(t: { after(fn: () => Promise<void>): void }, maxBodyBytes?: number) {
  const dir = tempDir(t, 'wasmnet-api-');
  const port = new InMemoryControllerPort();
  const server = await ApiServer.listen(port, {
    socketPath: join(dir, 'api', 'wasmnet.sock'),
    ...(maxBodyBytes ? { maxBodyBytes } : {}),
  });
  t.after(() => server.close());
  const call = (method: string, path: string, body?: unknown) =>
    raw(server.socketPath, method, path, body === undefined ? undefined : JSON.stringify(body));
  return { port, server, call };
}

test('the socket is root-only (0600) and removed on close', async (t) => {
  const { server } = await start(t);
  assert.equal((await stat(server.socketPath)).mode & 0o777, 0o600);
});

test('a network, endpoint and sandbox go through their whole life', async (t) => {
  const { call } = await start(t);
  const net = await call('POST', '/v1/networks', {
    name: 'net1',
    driver: 'bridge',
    labels: { a: 'b' },
    ipam: { config: [{ subnet: '10.1.0.0/24', gateway: '10.1.0.1' }] },
  });
  assert.equal(net.status, 201);
  assert.equal(net.json.name, 'net1');
  assert.equal((await call('GET', '/v1/networks')).json.length, 1);
  assert.equal((await call('GET', `/v1/networks/net1`)).json.id, net.json.id);
  const ep = await call('POST', '/v1/networks/net1/endpoints', { name: 'ep1' });
  assert.equal(ep.status, 201);
  assert.equal(ep.json.ipv4Address, '10.1.0.2/24');
  const sb = await call('POST', '/v1/sandboxes', { containerId: 'c1', hostname: 'h' });
  assert.equal(sb.status, 201);
  const joined = await call('POST', '/v1/networks/net1/endpoints/ep1/join', { sandbox: 'c1' });
  assert.equal(joined.status, 200);
  assert.equal(joined.json.sandboxId, sb.json.id);
  assert.equal(joined.json.interfaceName, 'eth0');
  assert.equal((await call('GET', `/v1/sandboxes/${sb.json.id}`)).json.endpoints[0], ep.json.id);
  assert.equal((await call('DELETE', '/v1/networks/net1')).status, 409);
  assert.equal((await call('POST', '/v1/networks/net1/endpoints/ep1/leave', { sandbox: 'c1' })).status, 200);
  assert.equal((await call('DELETE', '/v1/networks/net1/endpoints/ep1')).status, 204);
  assert.equal((await call('DELETE', '/v1/sandboxes/c1')).status, 204);
  assert.equal((await call('DELETE', '/v1/networks/net1')).status, 204);
  assert.equal((await call('GET', '/v1/networks/net1')).status, 404);
});

test('drivers: list, inspect, load, upgrade, unload', async (t) => {
  const { call } = await start(t);
  assert.deepEqual(
    (await call('GET', '/v1/drivers')).json.map((d: { name: string }) => d.name),
    ['bridge'],
  );
  assert.equal((await call('POST', '/v1/drivers', { path: '/drivers/macvlan.wasm' })).status, 201);
  assert.equal((await call('GET', '/v1/drivers/macvlan')).json.healthy, true);
  assert.equal((await call('POST', '/v1/drivers/macvlan/upgrade', { path: '/drivers/macvlan2.wasm' })).status, 200);
  assert.equal((await call('POST', '/v1/drivers', { path: '/drivers/macvlan.wasm' })).status, 403);
  assert.equal((await call('DELETE', '/v1/drivers/macvlan')).status, 204);
  assert.equal((await call('GET', '/v1/drivers/macvlan')).status, 404);
});

// Every route with a body, with a valid body to mutate into bad ones.
const BODY_ROUTES: Array<{ method: string; path: string; valid: Record<string, unknown>; field: string }> = [
  { method: 'POST', path: '/v1/networks', valid: { name: 'n2' }, field: 'name' },
  { method: 'POST', path: '/v1/networks/n1/endpoints', valid: { name: 'e2' }, field: 'name' },
  { method: 'POST', path: '/v1/networks/n1/endpoints/e1/join', valid: { sandbox: 'c1' }, field: 'sandbox' },
  { method: 'POST', path: '/v1/networks/n1/endpoints/e1/leave', valid: { sandbox: 'c1' }, field: 'sandbox' },
  { method: 'POST', path: '/v1/sandboxes', valid: { containerId: 'c2' }, field: 'containerId' },
  { method: 'POST', path: '/v1/drivers', valid: { path: '/x/y.wasm' }, field: 'path' },
  { method: 'POST', path: '/v1/drivers/bridge/upgrade', valid: { path: '/x/y.wasm' }, field: 'path' },
];

const NO_BODY_ROUTES: Array<[string, string]> = [
  ['GET', '/v1/networks'],
  ['GET', '/v1/networks/n1'],
  ['GET', '/v1/networks/n1/endpoints'],
  ['GET', '/v1/networks/n1/endpoints/e1'],
  ['GET', '/v1/sandboxes'],
  ['GET', '/v1/sandboxes/c1'],
  ['DELETE', '/v1/sandboxes/c1'],
  ['GET', '/v1/drivers'],
  ['GET', '/v1/drivers/bridge'],
  ['DELETE', '/v1/drivers/bridge'],
  ['GET', '/v1/ipam/pools'],
];

/** Deletes whose body is optional: `{"force": true}` removes what the object holds first. */
const REMOVE_ROUTES = ['/v1/networks/n1', '/v1/networks/n1/endpoints/e1'];

test('bad requests on every route get a typed 4xx and change nothing', async (t) => {
  const { port, server, call } = await start(t, 4096);
  await call('POST', '/v1/networks', { name: 'n1' });
  await call('POST', '/v1/networks/n1/endpoints', { name: 'e1' });
  await call('POST', '/v1/sandboxes', { containerId: 'c1' });
  const before = port.mutations.length;
  const snapshot = JSON.stringify([...port.networks, ...port.endpoints, ...port.sandboxes, ...port.drivers]);
  const expect = async (reply: Promise<{ status: number; json: any }>, status: number, code: string, what: string) => {
    const r = await reply;
    assert.equal(r.status, status, `${what}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.error.code, code, what);
    assert.equal(typeof r.json.error.message, 'string');
  };
  for (const r of BODY_ROUTES) {
    const what = `${r.method} ${r.path}`;
    await expect(raw(server.socketPath, r.method, r.path, '{"name": '), 400, 'malformed-json', `${what} malformed`);
    await expect(call(r.method, r.path, { ...r.valid, bogus: 1 }), 400, 'unknown-field', `${what} unknown field`);
    await expect(call(r.method, r.path, { ...r.valid, [r.field]: 42 }), 400, 'wrong-type', `${what} wrong type`);
    await expect(call(r.method, r.path, {}), 400, 'missing-field', `${what} missing field`);
    await expect(call(r.method, r.path, [r.valid]), 400, 'wrong-type', `${what} array body`);
    await expect(
      call(r.method, r.path, { ...r.valid, pad: 'x'.repeat(5000) }),
      413,
      'body-too-large',
      `${what} oversized`,
    );
  }
  for (const path of REMOVE_ROUTES) {
    await expect(call('DELETE', path, { force: 1 }), 400, 'wrong-type', `DELETE ${path} force not a boolean`);
    await expect(call('DELETE', path, { force: true, a: 1 }), 400, 'unknown-field', `DELETE ${path} unknown field`);
    await expect(
      raw(server.socketPath, 'DELETE', path, '{"force": '),
      400,
      'malformed-json',
      `DELETE ${path} malformed`,
    );
  }
  for (const [method, path] of NO_BODY_ROUTES) {
    await expect(call(method, path, { a: 1 }), 400, 'unexpected-body', `${method} ${path} with a body`);
    await expect(raw(server.socketPath, method, `${path}?x=1`), 400, 'unknown-field', `${method} ${path} with a query`);
  }
  // Nested and value checks.
  await expect(
    call('POST', '/v1/networks', { name: 'n3', ipam: { config: [{ subnet: 1 }] } }),
    400,
    'wrong-type',
    'nested type',
  );
  await expect(call('POST', '/v1/networks', { name: 'n3', labels: { a: 1 } }), 400, 'wrong-type', 'label type');
  await expect(
    call('POST', '/v1/networks', { name: 'n3', ipam: { bogus: true } }),
    400,
    'unknown-field',
    'nested unknown',
  );
  await expect(call('POST', '/v1/networks', { name: 'bad name!' }), 400, 'invalid-value', 'name pattern');
  await expect(
    call('POST', '/v1/networks', { name: 'n3', labels: JSON.parse('{"__proto__": "x"}') }),
    400,
    'invalid-value',
    'proto key',
  );
  await expect(
    call('POST', '/v1/networks/n1/endpoints', { name: 'e3', macAddress: 'zz' }),
    400,
    'invalid-value',
    'mac',
  );
  await expect(
    call('POST', '/v1/networks/n1/endpoints/e1/join', { sandbox: 'c1', priority: 1.5 }),
    400,
    'wrong-type',
    'priority',
  );
  await expect(
    call('POST', '/v1/networks/n1/endpoints/e1/join', { sandbox: 'c1', handOver: 'yes' }),
    400,
    'wrong-type',
    'handOver',
  );
  await expect(
    call('POST', '/v1/networks/n1/endpoints/e1/join', { sandbox: 'c1', interfaceName: 'bad name' }),
    400,
    'invalid-value',
    'interface name',
  );
  await expect(
    call('POST', '/v1/sandboxes', { containerId: 'c9', externalKey: 'relative/ns' }),
    400,
    'invalid-value',
    'relative external key',
  );
  await expect(call('POST', '/v1/drivers', { path: 'relative.wasm' }), 400, 'invalid-value', 'relative path');
  await expect(call('GET', '/v1/nothing'), 404, 'no-such-route', 'unknown route');
  await expect(call('PUT', '/v1/networks'), 405, 'method-not-allowed', 'wrong method');
  assert.equal(port.mutations.length, before, 'no controller call was made');
  assert.equal(JSON.stringify([...port.networks, ...port.endpoints, ...port.sandboxes, ...port.drivers]), snapshot);
});

test('controller errors map by class and code', async (t) => {
  const { call } = await start(t);
  await call('POST', '/v1/networks', { name: 'dup' });
  const dup = await call('POST', '/v1/networks', { name: 'dup' });
  assert.equal(dup.status, 409);
  assert.equal(dup.json.error.code, 'network-name');
  const missing = await call('GET', '/v1/networks/nope');
  assert.equal(missing.status, 404);
  assert.equal(missing.json.error.code, 'no-such-network');
  const badDriver = await call('POST', '/v1/networks', { name: 'x', driver: 'nosuch' });
  assert.equal(badDriver.status, 400);
  assert.equal(badDriver.json.error.code, 'invalid-parameter');
  assert.deepEqual(toErrorResponse(new NetworkNameError('a')).status, 409);
  assert.deepEqual(toErrorResponse(new ActiveEndpointsError('a', 'b', 1)).status, 409);
  assert.deepEqual(toErrorResponse(new InvalidParameterError('x')).status, 400);
  assert.deepEqual(toErrorResponse(new NoSuchNetworkError('x')).status, 404);
  assert.deepEqual(toErrorResponse(Object.assign(new Error('f'), { name: 'ForbiddenError' })).status, 403);
  assert.deepEqual(toErrorResponse(new Error('boom')), {
    status: 500,
    body: { error: { code: 'internal', message: 'boom' } },
  });
});

test('/metrics is Prometheus text with calls, latencies, restarts and pool usage', async (t) => {
  const { call } = await start(t);
  await call('POST', '/v1/networks', { name: 'm1', ipam: { config: [{ subnet: '10.7.0.0/24' }] } });
  await call('GET', '/v1/networks/m1');
  await call('GET', '/v1/networks/zzz');
  const metrics = await call('GET', '/metrics');
  assert.equal(metrics.status, 200);
  assert.match(String(metrics.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  assert.match(metrics.text, /wasmnet_api_requests_total\{route="GET \/v1\/networks\/:network",status="200"\} 1/);
  assert.match(metrics.text, /wasmnet_api_requests_total\{route="GET \/v1\/networks\/:network",status="404"\} 1/);
  assert.match(metrics.text, /wasmnet_api_request_duration_seconds_count\{route="POST \/v1\/networks"\} 1/);
  assert.match(metrics.text, /wasmnet_driver_restarts_total\{driver="bridge"\} 0/);
  assert.match(metrics.text, /wasmnet_ipam_pool_allocated\{network="m1",pool="10.7.0.0\/24"\} 1/);
  assert.match(metrics.text, /wasmnet_ipam_pool_size\{network="m1",pool="10.7.0.0\/24"\} 256/);
});
