// Attack: sandbox options that would write lines of the caller's choosing into the sandbox's
// /etc/hosts and resolv.conf (a hostname or extra host with a newline, a nameserver that is not
// an IP, search domains and options with spaces or newlines). Each is refused with a typed 400
// by the API and with InvalidParameterError by the controller (library users bypass the API);
// nothing injected is written; the neighbour on the built-in bridge never fails.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ApiClientError } from '../../host/api/client.js';
import type { SandboxView } from '../../host/api/port.js';
import { InvalidParameterError, type SandboxOptions } from '../../host/controller/index.js';
import { withController } from '../controller/fixtures.js';
import { assertUnharmed, machineState, namespaceState, neighbour, startDaemon } from './harness.js';
import { needsRoot } from '../support/root.js';

const INJECTIONS: Array<[string, SandboxOptions]> = [
  ['hostname with a newline', { hostname: 'web\n6.6.6.6 google.com' }],
  ['hostname with a space', { hostname: 'web google.com' }],
  ['domain name with a newline', { hostname: 'web', domainname: 'example.com\n6.6.6.6 google.com' }],
  ['extra host name with a newline', { extraHosts: [{ name: 'db\n6.6.6.6 google.com', ip: '10.0.0.1' }] }],
  ['extra host name with a tab', { extraHosts: [{ name: 'db\tgoogle.com', ip: '10.0.0.1' }] }],
  ['extra host IP that is not one', { extraHosts: [{ name: 'db', ip: '1.2.3.4 google.com' }] }],
  ['nameserver with a newline', { dns: ['10.0.0.53\nnameserver 6.6.6.6'] }],
  ['nameserver that is a name', { dns: ['dns.example.com'] }],
  ['search domain with a space', { dnsSearch: ['example.com evil.com'] }],
  ['search domain with a newline', { dnsSearch: ['example.com\nnameserver 6.6.6.6'] }],
  ['option with a newline', { dnsOptions: ['ndots:1\nnameserver 6.6.6.6'] }],
  ['option with a control character', { dnsOptions: ['ndots:1\u001b[2J'] }],
  ['option too long', { dnsOptions: ['x'.repeat(256)] }],
];

test('text injected into hosts and resolv.conf is refused by the API; neighbour and host unaffected', {
  ...needsRoot,
  timeout: 120_000,
}, async (t) => {
  const machineBefore = machineState();
  const daemon = await startDaemon(t, 'sec-hosts');
  const hostBefore = namespaceState(daemon.hostNetns);
  const steady = neighbour(daemon, '10.153.0.0/24');
  t.after(() => steady.stop());
  const filesDir = join(daemon.dataDir, 'sandboxes');
  for (const [what, options] of INJECTIONS) {
    await assert.rejects(daemon.api.post('/v1/sandboxes', { containerId: 'inject', ...options }), (error: unknown) => {
      assert.ok(error instanceof ApiClientError, `${what}: ${String(error)}`);
      assert.equal(error.status, 400, `${what}: ${error.code} ${error.message}`);
      return true;
    });
  }
  // What is valid still works, and lands in the files as one line each.
  const sandbox = await daemon.api.post<SandboxView>('/v1/sandboxes', {
    containerId: 'valid',
    hostname: 'web-1',
    domainname: 'example.com',
    extraHosts: [{ name: 'db.internal', ip: '10.0.0.1' }],
    dns: ['10.0.0.53', '2001:db8::53'],
    dnsSearch: ['example.com', 'corp.example.com.'],
    dnsOptions: ['ndots:2', 'edns0'],
    ipv6: true,
  });
  const hosts = readFileSync(join(filesDir, `${sandbox.id}.hosts`), 'utf8');
  assert.match(hosts, /^10\.0\.0\.1\tdb\.internal$/m);
  const resolv = readFileSync(join(filesDir, `${sandbox.id}.resolv.conf`), 'utf8');
  // The embedded DNS answers in the sandbox and forwards to the given nameservers (as Docker's does).
  assert.equal(resolv, 'nameserver 127.0.0.11\nsearch example.com corp.example.com.\noptions ndots:2 edns0\n');
  await daemon.api.delete(`/v1/sandboxes/${sandbox.id}`);
  for (const file of existsSync(filesDir) ? readdirSync(filesDir) : [])
    assert.doesNotMatch(readFileSync(join(filesDir, file), 'utf8'), /6\.6\.6\.6|google|evil/, `${file}: injected`);

  await assertUnharmed({ daemon, steady, hostBefore, machineBefore });
});

test('the controller refuses the same options from a library user', {
  ...needsRoot,
}, async () => {
  await withController(async (_, controller) => {
    for (const [what, options] of INJECTIONS) {
      await assert.rejects(controller.newSandbox('inject', options), (error: unknown) => {
        assert.ok(error instanceof InvalidParameterError, `${what}: ${String(error)}`);
        return true;
      });
    }
    assert.equal(controller.sandboxes().length, 0);
  });
});
