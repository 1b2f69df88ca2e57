// Hermetic fixtures for controller tests: a private directory holding this test's "host"
// namespace (hostNetns), its sandbox namespaces and its data directory; all removed in cleanup.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DriverRegistry } from '../../host/drivers/index.js';
import type { Netns } from '../../host/netlink/index.js';
import { Controller, type ControllerOptions } from '../../host/index.js';
import { createPrivateHost, ipJson, removeWithNamespaces, uniqueId } from '../support/netns.js';
import { TestBridgeDriver } from './test-bridge-driver.js';

export { ipJson };

export interface TestHost {
  dir: string;
  dataDir: string;
  netnsDir: string;
  host: Netns;
  driver: TestBridgeDriver;
  registry: DriverRegistry;
  resolvConfPath: string;
  warnings: string[];
  /** A controller over this host (the same data directory every time). */
  controller(extra?: Partial<ControllerOptions>): Promise<Controller>;
  /** A directory `dir/name` for namespaces the test makes itself (as an engine would); cleanup deletes them. */
  namespaceDir(name: string): string;
  cleanup(): void;
}

export function makeHost(label = 'h'): TestHost {
  const dir = `/run/wasmnet-ctl-test-${uniqueId()}`;
  const hostDir = join(dir, 'host');
  const netnsDir = join(dir, 'sandboxes');
  const dataDir = join(dir, 'data');
  const namespaceDirs = [netnsDir, hostDir];
  const host = createPrivateHost(hostDir, label);
  const driver = new TestBridgeDriver(host);
  const registry = new DriverRegistry();
  registry.registerDriver('bridge', driver, {
    dataScope: 'local',
    connectivityScope: 'local',
    externalConnectivity: 'always',
  });
  mkdirSync(dataDir, { recursive: true });
  const resolvConfPath = join(dir, 'resolv.conf');
  writeFileSync(
    resolvConfPath,
    'nameserver 127.0.0.53\nnameserver 10.99.0.53\nnameserver ::1\nsearch example.test\noptions ndots:2\n',
  );
  const warnings: string[] = [];
  return {
    dir,
    dataDir,
    netnsDir,
    host,
    driver,
    registry,
    resolvConfPath,
    warnings,
    controller: (extra = {}) =>
      Controller.create({
        dataDir,
        netnsDir,
        hostNetns: host.path as string,
        drivers: registry,
        resolvConfPath,
        onWarning: (message) => warnings.push(message),
        ...extra,
      }),
    namespaceDir: (name) => {
      const namespaceDir = join(dir, name);
      namespaceDirs.unshift(namespaceDir);
      return namespaceDir;
    },
    cleanup: () => removeWithNamespaces(dir, namespaceDirs),
  };
}

/**
 * Runs `body` with a fresh host and a controller over it (with the test bridge driver unless
 * `extra` says otherwise, e.g. `{ drivers: undefined }` for the Wasm drivers), then removes both.
 */
export async function withController(
  body: (h: TestHost, controller: Controller) => Promise<void>,
  extra?: Partial<ControllerOptions>,
): Promise<void> {
  const h = makeHost();
  const controller = await h.controller(extra);
  try {
    await body(h, controller);
  } finally {
    await controller.close();
    h.cleanup();
  }
}

export function ping(path: string, ip: string): boolean {
  try {
    execFileSync('nsenter', [`--net=${path}`, 'ping', '-c', '1', '-W', '2', ip], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Waits (at most ~30 s, under load) until `settled` holds: a deleted namespace takes its links, and the
 * host ends of their veths, with it asynchronously, when the kernel gets to it.
 */
export async function kernelSettled(settled: () => boolean): Promise<void> {
  for (let i = 0; i < 1500 && !settled(); i++) await sleep(20);
}

export interface IpAddr {
  ifname: string;
  addr_info: Array<{ local: string; prefixlen: number; family: string }>;
}
export interface IpRoute {
  dst: string;
  gateway?: string;
  dev: string;
}
