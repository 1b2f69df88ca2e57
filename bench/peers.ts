// What the benchmarks run wasmnet against, inside their private "host" namespace: commands and
// the CNI reference plugins (Debian's containernetworking-plugins).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Netns, withNetns } from '../host/netlink/index.js';

export const CNI_DIR = '/usr/lib/cni';

/** Runs a command with the calling thread in `host` (the child inherits its namespace); its stdout. */
export function runIn(host: Netns, command: string, args: string[], input?: string, env?: NodeJS.ProcessEnv): string {
  const result = withNetns(host.path, () => spawnSync(command, args, { input, env, encoding: 'utf8' }));
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr || result.stdout || String(result.error)}`);
  return result.stdout;
}

/** A peer's ADD and DEL for one container whose namespace is `netns`. */
export interface Peer {
  add(container: string, netns: string): void;
  del(container: string, netns: string): void;
}

export function cniAvailable(): boolean {
  return existsSync(join(CNI_DIR, 'bridge')) && existsSync(join(CNI_DIR, 'host-local'));
}

/** The CNI `bridge` plugin (bridge cnibr0, the gateway on it, no masquerade) with `host-local` IPAM. */
export function cniBridge(host: Netns, ipamDir: string, subnet = '10.200.0.0/16'): Peer {
  return cniPlugin(host, join(CNI_DIR, 'bridge'), {
    cniVersion: '1.0.0',
    name: 'wnbench',
    type: 'bridge',
    bridge: 'cnibr0',
    isGateway: true,
    ipMasq: false,
    ipam: { type: 'host-local', subnet, dataDir: ipamDir },
  });
}

/** A CNI plugin executable called as a runtime calls it: CNI_* variables, the config on stdin. */
export function cniPlugin(host: Netns, executable: string, config: object): Peer {
  const stdin = JSON.stringify(config);
  const call = (command: string, container: string, netns: string): void => {
    runIn(host, executable, [], stdin, {
      PATH: process.env.PATH,
      CNI_COMMAND: command,
      CNI_CONTAINERID: container,
      CNI_NETNS: netns,
      CNI_IFNAME: 'eth0',
      CNI_PATH: CNI_DIR,
    });
  };
  return {
    add: (container, netns) => call('ADD', container, netns),
    del: (container, netns) => call('DEL', container, netns),
  };
}
