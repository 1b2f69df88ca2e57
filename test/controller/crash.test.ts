// Crash test: a child runs random workloads (two at once) and is killed with SIGKILL at random moments; after
// each kill a controller restarts on the same data and nothing leaked (links, namespaces,
// addresses) and every object the store lists works. WASMNET_CRASH_CYCLES sets the number of kills.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { Controller } from '../../host/index.js';
import { ipJson, kernelSettled, makeHost, ping, type IpAddr, type TestHost } from './fixtures.js';
import { needsRoot } from '../support/root.js';

const CYCLES = Number(process.env.WASMNET_CRASH_CYCLES ?? 50);
const CHILD = fileURLToPath(new URL('./crash-child.js', import.meta.url));

async function runAndKill(h: TestHost): Promise<void> {
  const child = spawn(process.execPath, [CHILD], {
    env: {
      ...process.env,
      WASMNET_CRASH_CHILD: JSON.stringify({ dataDir: h.dataDir, netnsDir: h.netnsDir, hostNetns: h.host.path }),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  let exitedEarly: string | undefined;
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') exitedEarly = `workload exited by itself (code ${code}): ${output.trim()}`;
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (data: Buffer) => {
      output += data.toString();
      if (output.includes('ready')) resolve();
    });
    child.on('exit', () => reject(new Error(exitedEarly)));
  });
  await sleep(20 + Math.random() * 400);
  child.kill('SIGKILL');
  await exited;
  if (exitedEarly !== undefined) throw new Error(exitedEarly);
}

/** The host namespace's links; a host-side veth name ends with a digit that changes when a lingering one still holds the name. */
function hostLinks(h: TestHost): string[] {
  return ipJson<IpAddr[]>(h.host.path as string, 'link')
    .map((link) => link.ifname.replace(/^(veth[0-9a-f]{10})[0-9]$/, '$1'))
    .sort();
}

/** What the host namespace must hold: the bridges of the networks and the veths of live joins. */
function expectedLinks(controller: Controller): string[] {
  const links = ['lo'];
  for (const network of controller.networks()) {
    links.push(`br-${network.id().slice(0, 12)}`);
    for (const endpoint of network.endpoints())
      if (endpoint.sandbox() !== undefined) links.push(`veth${endpoint.id().slice(0, 10)}`);
  }
  return links.sort();
}

async function check(h: TestHost, cycle: number): Promise<void> {
  const controller = await h.controller({ drivers: undefined });
  try {
    // A workload killed before its first sandbox never created the namespace directory.
    const namespaces = existsSync(h.netnsDir) ? readdirSync(h.netnsDir).sort() : [];
    assert.deepEqual(
      namespaces,
      controller
        .sandboxes()
        .map((s) => s.key().split('/').pop())
        .sort(),
      `cycle ${cycle}: namespaces`,
    );
    await kernelSettled(() => hostLinks(h).join() === expectedLinks(controller).join());
    assert.deepEqual(
      hostLinks(h),
      expectedLinks(controller),
      `cycle ${cycle}: host links; recovery ${JSON.stringify(controller.recovery)}; warnings ${h.warnings.join(' | ')}`,
    );
    for (const network of controller.networks()) {
      const gateway = network.info().ipv4[0]?.gateway as string;
      const addresses = ipJson<IpAddr[]>(
        h.host.path as string,
        'addr',
        'show',
        'dev',
        `br-${network.id().slice(0, 12)}`,
      )[0]
        ?.addr_info.filter((a) => a.family === 'inet')
        .map((a) => `${a.local}/${a.prefixlen}`);
      assert.deepEqual(addresses, [gateway], `cycle ${cycle}: addresses of ${network.name()}`);
      for (const endpoint of network.endpoints()) {
        // The bridge's MAC is fixed, so a sandbox's cached gateway MAC stays right: no neighbour flush.
        const sandbox = endpoint.sandbox();
        if (sandbox !== undefined && !ping(sandbox.key(), gateway.split('/')[0] as string)) {
          assert.fail(
            `cycle ${cycle}: ${endpoint.name()} does not reach ${gateway}: ${JSON.stringify(endpoint.info())} ${JSON.stringify(ipJson(sandbox.key(), 'addr'))} recovery ${JSON.stringify(controller.recovery)} HOST ${JSON.stringify(ipJson<Array<{ ifname: string; master?: string; operstate: string }>>(h.host.path as string, 'link').map((l) => [l.ifname, l.master, l.operstate]))} ADDR ${JSON.stringify(ipJson<IpAddr[]>(h.host.path as string, 'addr').map((a) => [a.ifname, a.addr_info.map((i) => i.local)]))} NEIGH ${JSON.stringify(ipJson(sandbox.key(), 'neigh'))}`,
          );
        }
      }
      // Each network still works: a new endpoint gets a free address and joins.
      const probe = await network.createEndpoint(`probe${cycle}`);
      assert.ok(
        !network.endpoints().some((e) => e !== probe && e.info().ipv4Address === probe.info().ipv4Address),
        `cycle ${cycle}: fresh address`,
      );
      const box = await controller.newSandbox(`probe${cycle}-${network.name()}`);
      await probe.join(box);
      assert.ok(ping(box.key(), gateway.split('/')[0] as string), `cycle ${cycle}: probe reaches the gateway`);
      await box.delete();
      await probe.delete();
    }
  } finally {
    await controller.close();
  }
}

test(`crash test: ${CYCLES} SIGKILLs during a random workload leave nothing behind`, {
  ...needsRoot,
  timeout: 600_000,
}, async () => {
  const h = makeHost();
  try {
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      await runAndKill(h);
      await check(h, cycle);
    }
  } finally {
    h.cleanup();
  }
});
