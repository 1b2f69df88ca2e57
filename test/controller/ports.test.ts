// Port maps in Docker's JSON shape, both ways: what wasmnet hands drivers and what it reads back
// from dockerd's `-p` to show in `wasmnet sandbox ls`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PortBinding } from '../../host/controller/model.js';
import { portMapBindings, portMapJson } from '../../host/controller/ports.js';

test('a port map reads back as the bindings it was written from; what is not one reads as none', () => {
  const ports: PortBinding[] = [
    { protocol: 'tcp', hostPort: 8080, containerPort: 80 },
    { protocol: 'udp', hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53 },
  ];
  assert.deepEqual(portMapBindings(portMapJson(ports)), ports);
  // As dockerd passes `-p 80` (no host port yet) and `-p 8080:80`.
  const fromDockerd =
    '[{"Proto":6,"IP":"","Port":80,"HostIP":"","HostPort":0,"HostPortEnd":0},{"Proto":6,"IP":"","Port":80,"HostIP":"","HostPort":8080,"HostPortEnd":8080}]';
  assert.deepEqual(portMapBindings(fromDockerd), [{ protocol: 'tcp', hostPort: 8080, containerPort: 80 }]);
  for (const bad of [undefined, '', 'not json', '{}', '[1, null, {"Proto":1,"Port":1,"HostPort":1}]'])
    assert.deepEqual(portMapBindings(bad), [], String(bad));
});
