// A stock dockerd (its defaults: iptables on, FORWARD policy drop, rules in iptables-nft) in a
// private namespace, with an "outside" namespace linked to it that has no route back to
// container subnets: on wasmnet networks containers reach each other, the outside (masquerade)
// and published ports, and ICC off, internal networks and isolation between networks hold.
// dockerd's rules and wasmnet's live in the test's namespace only.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cli } from '../cli/helpers.js';
import { firstAnswer, HOST_IP, httpGet, OUTSIDE_IP, runHttpd } from './stock-world.js';
import { stockSkip, stockWorldPerFile } from './stock-world-per-file.js';

const skip = stockSkip;
const world = stockWorldPerFile('dks', {}, skip);

test('stock dockerd: containers reach each other and the outside (masquerade); internal reaches nothing', {
  skip,
  timeout: 180_000,
}, () => {
  const w = world();
  assert.match(w.host.run('iptables', ['-S', 'FORWARD']), /-P FORWARD DROP/, "dockerd's FORWARD drops by default");
  w.network('wnet', '10.93.0.0/24');
  w.run('ca', 'wnet');
  w.run('cb', 'wnet');
  assert.ok(w.reaches('ca', w.ipOf('cb')), 'ca pings cb');
  assert.ok(w.reaches('cb', w.ipOf('ca')), 'cb pings ca');
  assert.ok(w.reaches('ca', OUTSIDE_IP), 'ca pings the outside namespace, which has no route back: masquerade');
  w.network('wint', '10.94.0.0/24', '--internal');
  w.run('ci', 'wint');
  w.run('cj', 'wint');
  assert.ok(w.reaches('ci', w.ipOf('cj')), 'containers of an internal network reach each other');
  assert.ok(!w.reaches('ci', OUTSIDE_IP), 'an internal network reaches nothing outside');
  assert.ok(!w.reaches('ci', HOST_IP), 'nor the host');
});

test('stock dockerd: enable_icc=false blocks container to container; two networks cannot reach each other', {
  skip,
  timeout: 180_000,
}, () => {
  const w = world();
  w.network('wicc', '10.95.0.0/24', '-o', 'com.docker.network.bridge.enable_icc=false');
  w.run('ia', 'wicc');
  w.run('ib', 'wicc');
  assert.ok(!w.reaches('ia', w.ipOf('ib')), 'ICC off: no traffic between the ports of one bridge');
  assert.ok(w.reaches('ia', OUTSIDE_IP), 'ICC off still reaches the outside');
  w.network('wone', '10.96.0.0/24');
  w.network('wtwo', '10.97.0.0/24');
  w.run('oa', 'wone');
  w.run('ta', 'wtwo');
  assert.ok(!w.reaches('oa', w.ipOf('ta')), 'networks are isolated from each other');
  assert.ok(!w.reaches('ta', w.ipOf('oa')), 'both ways');
});

test('stock dockerd: docker run -p 8080:80 is reachable from outside and from the host', {
  skip,
  timeout: 180_000,
}, async () => {
  const w = world();
  w.network('wpub', '10.98.0.0/24');
  runHttpd(w, 'web', 'wpub', '8080:80', 'hello-wasmnet');
  const fromOutside = await firstAnswer(w, 'httpd through the published port', () =>
    httpGet((command, args) => w.inOutside(command, ...args), HOST_IP, 8080),
  );
  assert.match(fromOutside, /hello-wasmnet/, 'from the outside namespace');
  assert.match(httpGet(w.host.run.bind(w.host), HOST_IP, 8080), /hello-wasmnet/, 'from the host namespace');
  // `docker port` stays empty: dockerd 20.10 reads a driver's port map from EndpointOperInfo as
  // []types.PortBinding, which a remote driver's JSON (decoded as []interface{}) never is.
  // wasmnet's CLI shows it.
  const listed = await cli(['--socket', w.host.path('wasmnet.sock'), 'sandbox', 'ls']);
  assert.match(listed.stdout, /\s8080->80\/tcp\n/, `wasmnet sandbox ls: ${listed.stderr}`);
});

test('stock dockerd: a host port already published, or a port on an internal network, is refused; nothing is left', {
  skip,
  timeout: 180_000,
}, () => {
  const w = world();
  const dnats = (): number => (w.host.run('nft', ['list', 'table', 'ip', 'wasmnet']).match(/ dnat to /g) ?? []).length;
  const links = (): string[] => w.host.ip<Array<{ ifname: string }>>('link').map((link) => link.ifname);
  w.network('wdup', '10.91.0.0/24');
  w.network('wdint', '10.92.0.0/24', '--internal');
  w.run('first', 'wdup', '-p', '8081:80');
  const before = { dnats: dnats(), links: links() };
  assert.equal(before.dnats, 2, 'the first container publishes 8081 (from outside and from the host)');
  const refused = (name: string, net: string, publish: string): string => {
    try {
      w.run(name, net, '-p', publish);
    } catch (error) {
      return String((error as { stderr?: string }).stderr);
    }
    return assert.fail(`docker run -p ${publish} on ${net} was accepted`);
  };
  assert.match(refused('second', 'wdup', '8081:80'), /already published/);
  assert.match(refused('inside', 'wdint', '8082:80'), /internal network cannot publish/);
  assert.equal(dnats(), before.dnats, 'no rule of the refused containers');
  assert.deepEqual(links(), before.links, 'no link of the refused containers');
  assert.equal(w.engine.docker('inspect', '-f', '{{.State.Running}}', 'first'), 'true', 'the first one still runs');
});
