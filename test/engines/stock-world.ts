// A stock dockerd (its defaults: iptables on, FORWARD policy drop) in a private namespace, with
// an "outside" namespace linked to it that has no route back to container subnets, and a wasmnet
// daemon serving dockerd as a network and IPAM plugin. dockerd's rules and wasmnet's live in
// that namespace only. Shared by the tests of dockerd on iptables-nft and on iptables-legacy, and
// by bench/firewall.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { DOCKER_PLUGINS_DIR } from '../../host/api/docker/server.js';
import { createNetns, deleteNetns, type Netns } from '../../host/netlink/index.js';
import { type DockerEngine, type DockerOptions, IMAGE, importBusybox, removeAll, startDocker } from './docker.js';
import { EngineHost, type Proc, waitUntil } from './engine-host.js';

export const HOST_IP = '192.0.2.1';
export const OUTSIDE_IP = '192.0.2.2';

export interface StockWorld {
  host: EngineHost;
  engine: DockerEngine;
  wasmnet: Proc;
  plugin: string;
  /** Runs a command in the outside namespace; returns its stdout. */
  inOutside(...args: string[]): string;
  /** A wasmnet network (driver and IPAM) on `subnet`. */
  network(name: string, subnet: string, ...options: string[]): void;
  /** A detached container sleeping on `net`. */
  run(name: string, net: string, ...args: string[]): string;
  ipOf(name: string): string;
  /** Whether container `from` gets an answer from `ip` (one ping, 1 s). */
  reaches(from: string, ip: string): boolean;
  /** Removes the containers and networks made since. */
  reset(): void;
  close(): Promise<void>;
}

export async function startStockWorld(label: string, options: DockerOptions): Promise<StockWorld> {
  const plugin = `wasmnet-${label}${process.pid}`;
  const host = EngineHost.create(label);
  let outside: Netns | undefined;
  let engine: DockerEngine | undefined;
  const close = async (): Promise<void> => {
    try {
      if (engine !== undefined) removeAll(engine);
    } finally {
      if (outside !== undefined) deleteNetns(outside);
      await host.cleanup();
      rmSync(`${DOCKER_PLUGINS_DIR}/${plugin}.sock`, { force: true });
    }
  };
  try {
    // The outside world: a namespace on a veth, with no route to the containers' subnets.
    outside = createNetns(host.dir, 'outside');
    const outsidePath = outside.path as string;
    const inOutside = (...args: string[]): string =>
      execFileSync('nsenter', [`--net=${outsidePath}`, ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    host.run('ip', ['link', 'add', 'wnout', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', outsidePath]);
    host.run('ip', ['addr', 'add', `${HOST_IP}/24`, 'dev', 'wnout']);
    host.run('ip', ['link', 'set', 'wnout', 'up']);
    inOutside('ip', 'addr', 'add', `${OUTSIDE_IP}/24`, 'dev', 'eth0');
    inOutside('ip', 'link', 'set', 'eth0', 'up');
    inOutside('ip', 'link', 'set', 'lo', 'up');
    const started = await startDocker(host, { ...options, stock: true });
    engine = started;
    importBusybox(host, started);
    const wasmnet = await host.runWasmnet(plugin);
    const docker = started.docker;
    return {
      host,
      engine: started,
      wasmnet,
      plugin,
      inOutside,
      network: (name, subnet, ...more) => {
        docker('network', 'create', '-d', plugin, '--ipam-driver', plugin, '--subnet', subnet, ...more, name);
      },
      run: (name, net, ...args) =>
        docker('run', '-d', '--name', name, '--network', net, ...args, IMAGE, 'sleep', '600'),
      ipOf: (name) => docker('inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', name),
      reaches: (from, ip) => {
        try {
          docker('exec', from, 'ping', '-c', '1', '-W', '1', ip);
          return true;
        } catch {
          return false;
        }
      },
      reset: () => removeAll(started),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** busybox httpd on port 80 in a new container on `net`, publishing `publish` (e.g. 8080:80). */
export function runHttpd(world: StockWorld, name: string, net: string, publish: string, body: string): void {
  world.engine.docker(
    'run',
    '-d',
    '--name',
    name,
    '--network',
    net,
    '-p',
    publish,
    IMAGE,
    'sh',
    '-c',
    `busybox mkdir /www && echo ${body} > /www/index.html && exec busybox httpd -f -p 80 -h /www`,
  );
}

/** GET http://ip:port/ with Node as the client (busybox-static's wget crashes here: static NSS). */
export function httpGet(run: (command: string, args: string[]) => string, ip: string, port: number): string {
  const client = `require('http').get('http://${ip}:${port}/', (r) => r.pipe(process.stdout)).on('error', () => process.exit(1)).setTimeout(3000, () => process.exit(2))`;
  return run(process.execPath, ['-e', client]);
}

/** Polls `fetch` until it answers (a container's server takes a moment to listen). */
export async function firstAnswer(world: StockWorld, what: string, fetch: () => string): Promise<string> {
  let answer = '';
  await waitUntil(
    what,
    () => {
      try {
        answer = fetch();
        return true;
      } catch {
        return false;
      }
    },
    () => `${world.host.log(world.wasmnet)}`,
    20_000,
  );
  return answer;
}
