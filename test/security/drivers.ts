// The attack drivers of test/security/drivers/, built with the SDK (cached by source hash), and
// the steps every attack test takes with them against a daemon.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAsFile } from '../drivers/as-fixtures.js';
import type { Daemon } from './harness.js';

const SOURCES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'test', 'security', 'drivers');

/** The hostile driver (drivers/hostile.as), registered as "hostile" unless `name` replaces it
 * (an AssemblyScript expression). */
export function buildHostile(name?: string): Promise<Uint8Array> {
  const edit: [string, string] | undefined =
    name === undefined ? undefined : ["const NAME = 'hostile';", `const NAME = ${name};`];
  return buildAsFile(join(SOURCES, 'hostile.as'), 'hostile', edit);
}

/** Writes the component next to the daemon's data and loads it through the API. */
export async function loadHostile(daemon: Daemon, bytes: Uint8Array, file = 'hostile.wasm'): Promise<unknown> {
  const path = join(daemon.host.dir, file);
  writeFileSync(path, bytes);
  return daemon.api.post('/v1/drivers', { path });
}

/**
 * Runs `attack` in a network and a sandbox both named `network`: its CreateEndpoint (stage
 * `endpoint`) or its Join must fail as `refused` checks; `inspect` sees the sandbox's namespace
 * before the endpoint, the sandbox and the network are deleted.
 */
export async function refusedAttack(
  daemon: Daemon,
  network: string,
  subnet: string,
  attack: Record<string, string>,
  stage: 'endpoint' | 'join',
  refused: (error: unknown) => boolean,
  inspect: (key: string) => void = () => undefined,
): Promise<void> {
  await attackNetwork(daemon, network, subnet, attack);
  const { key } = await daemon.api.post<{ key: string }>('/v1/sandboxes', { containerId: network });
  const endpoints = `/v1/networks/${network}/endpoints`;
  if (stage === 'endpoint') {
    await assert.rejects(daemon.api.post(endpoints, { name: 'ep' }), refused);
  } else {
    await daemon.api.post(endpoints, { name: 'ep' });
    await assert.rejects(daemon.api.post(`${endpoints}/ep/join`, { sandbox: network }), refused);
    await daemon.api.delete(`${endpoints}/ep`);
  }
  inspect(key);
  await daemon.api.delete(`/v1/sandboxes/${network}`);
  await daemon.api.delete(`/v1/networks/${network}`);
}

/** Creates a hostile network whose endpoints run `attack` (see hostile.as). */
export async function attackNetwork(
  daemon: Daemon,
  name: string,
  subnet: string,
  attack: Record<string, string>,
): Promise<void> {
  await daemon.api.post('/v1/networks', { name, driver: 'hostile', options: attack, ipam: { config: [{ subnet }] } });
}
