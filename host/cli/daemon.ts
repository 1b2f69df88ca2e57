// wasmnet daemon: the controller, the REST API on its unix socket and the Docker plugin socket.
// SIGTERM/SIGINT stop serving and close the controller: state stays, nothing users made is torn down.
import { mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DefaultIpam } from '../../ipam/index.js';
import { ControllerAdapter } from '../api/controller-adapter.js';
import { DockerPlugin } from '../api/docker/plugin.js';
import { DOCKER_PLUGINS_DIR, DockerPluginServer } from '../api/docker/server.js';
import { StateFile } from '../api/docker/state.js';
import { jsonLogger, type Level, type Logger } from '../api/log.js';
import { ApiMetrics } from '../api/metrics.js';
import { ApiServer } from '../api/server.js';
import { cniRoute } from '../cni/route.js';
import { parseDriverLimits, type DriverLimits } from '../drivers/index.js';
import {
  checkClusterOptions,
  type ClusterOptions,
  DEFAULT_LEASE_TTL_SECONDS,
  parseClusterStore,
} from '../cluster/index.js';
import { Controller } from '../wiring/index.js';
import { hostRoutes } from '../wiring/netns-plumbing.js';
import { EXIT_OK, parse, type Parsed, UsageError, type Command } from './command.js';
import { lockDataDir } from './data-dir-lock.js';
import { DEFAULT_LEFTOVER_INTERVAL_MS, MIN_LEFTOVER_GRACE_MS, startLeftoverSweeps } from './leftover-sweeps.js';
import { listenFds, type SocketName } from './socket-activation.js';

export const DEFAULT_DATA_DIR = '/var/lib/wasmnet';

export interface DaemonOptions {
  socketPath: string;
  dataDir: string;
  /** Watched directory of driver components; `dataDir`/drivers by default. */
  driversDir?: string;
  hostNetns?: string;
  /** Per-driver limits (memory, component size, store quota, logs), each overridable per owner. */
  driverLimits?: DriverLimits;
  /** Cluster mode on etcd (`--cluster-store`), or undefined for a single host. */
  cluster?: ClusterOptions;
  /** The Docker plugin's name (its socket is <dir>/<name>.sock), or undefined for none. */
  dockerPlugin?: { name: string; dir: string; defaultDriver: string };
  /** Listening sockets passed by systemd (socket activation), served instead of making them. */
  listenFds?: Partial<Record<SocketName, number>>;
  /** Between two leftover sweeps (0: only at start); DEFAULT_LEFTOVER_INTERVAL_MS by default. */
  leftoverIntervalMs?: number;
  log: Logger;
}

export interface RunningDaemon {
  close(): Promise<void>;
}

export async function startDaemon(o: DaemonOptions): Promise<RunningDaemon> {
  // Before anything else: a second daemon must not touch the first's database or sockets.
  const lock = lockDataDir(o.dataDir);
  let controller: Controller;
  try {
    const driversDir = o.driversDir ?? join(o.dataDir, 'drivers');
    mkdirSync(driversDir, { recursive: true, mode: 0o700 });
    controller = await Controller.create({
      dataDir: o.dataDir,
      driversDir,
      ...(o.hostNetns ? { hostNetns: o.hostNetns } : {}),
      ...(o.driverLimits ? { driverLimits: o.driverLimits } : {}),
      ...(o.cluster ? { cluster: o.cluster } : {}),
      onWarning: (message) => o.log('warn', message),
    });
    o.log('info', 'controller started', {
      dataDir: o.dataDir,
      driversDir,
      recovery: controller.recovery,
      ...(o.cluster ? { node: o.cluster.nodeName, clusterStore: o.cluster.endpoints } : {}),
    });
  } catch (error) {
    lock.release();
    throw error;
  }
  const port = new ControllerAdapter(controller, controller.runtime);
  const closers: Array<() => Promise<void>> = [() => controller.close(), async () => lock.release()];
  const close = async () => {
    for (const step of closers)
      await step().catch((error: unknown) => o.log('error', 'shutdown step failed', { error: String(error) }));
  };
  try {
    const metrics = new ApiMetrics();
    let plugin: DockerPlugin | undefined;
    if (o.dockerPlugin !== undefined) {
      plugin = new DockerPlugin({
        port,
        ipam: new DefaultIpam(),
        state: new StateFile(join(o.dataDir, 'docker-plugin.json')),
        defaultDriver: o.dockerPlugin.defaultDriver,
        exclude: () => hostRoutes(o.hostNetns),
      });
      await plugin.restore();
    }
    // Leftovers of containers removed while the daemon was down go before anyone is served.
    const sweeps = await startLeftoverSweeps({
      sweeper: controller.leftoverSweeper(
        Math.max(o.leftoverIntervalMs ?? DEFAULT_LEFTOVER_INTERVAL_MS, MIN_LEFTOVER_GRACE_MS),
      ),
      metrics,
      log: o.log,
      intervalMs: o.leftoverIntervalMs ?? DEFAULT_LEFTOVER_INTERVAL_MS,
      ...(plugin === undefined ? {} : { after: () => plugin.prune() }),
    });
    closers.unshift(() => sweeps.stop());
    const api = await ApiServer.listen(port, {
      socketPath: o.socketPath,
      log: o.log,
      metrics,
      routes: [cniRoute],
      ...(o.listenFds?.api === undefined ? {} : { fd: o.listenFds.api }),
    });
    closers.unshift(() => api.close());
    if (plugin !== undefined && o.dockerPlugin !== undefined) {
      const server = await DockerPluginServer.listen(
        plugin,
        join(o.dockerPlugin.dir, `${o.dockerPlugin.name}.sock`),
        o.log,
        o.listenFds?.docker,
      );
      closers.unshift(() => server.close());
      o.log('info', 'docker plugin listening', { socket: server.socketPath });
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { close };
}

const LEVELS: Level[] = ['debug', 'info', 'warn', 'error'];
const DEFAULT_SHUTDOWN_GRACE_S = 20;

/** A non-negative number of seconds, or undefined when the option is absent. */
function seconds(p: Parsed, name: string): number | undefined {
  const value = p.str(name);
  if (value === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(value)) throw new UsageError(`--${name} wants a number of seconds`);
  return Number(value);
}

/** Whether the daemon closed within `ms`. */
async function closesWithin(daemon: RunningDaemon, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([daemon.close().then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The cluster flags, checked as a whole: none of them without --cluster-store. */
function clusterOptions(
  store: string | undefined,
  advertise: string | undefined,
  nodeName: string | undefined,
  ttl: string | undefined,
): ClusterOptions | undefined {
  if (store === undefined) {
    if (advertise !== undefined || nodeName !== undefined || ttl !== undefined)
      throw new UsageError('--advertise-addr, --node-name and --cluster-ttl need --cluster-store');
    return undefined;
  }
  if (advertise === undefined) throw new UsageError('--cluster-store needs --advertise-addr IP');
  if (ttl !== undefined && !/^\d+$/.test(ttl)) throw new UsageError('--cluster-ttl must be a whole number of seconds');
  try {
    const options: ClusterOptions = {
      endpoints: parseClusterStore(store),
      advertiseAddress: advertise,
      nodeName: nodeName ?? hostname(),
      ...(ttl === undefined ? {} : { leaseTtlSeconds: Number(ttl) }),
    };
    checkClusterOptions(options);
    return options;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function readDriverLimits(path: string): DriverLimits {
  try {
    return parseDriverLimits(JSON.parse(readFileSync(path, 'utf8')));
  } catch (error) {
    throw new UsageError(`--driver-limits ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export const daemonCommand: Command = {
  name: 'daemon',
  summary: 'Run the wasmnet daemon (controller, API, Docker plugin)',
  help: `Usage: wasmnet daemon [OPTIONS]

Run the controller with the built-in drivers, serve the REST API on a unix socket (mode 0600)
and Docker's network and IPAM plugin protocol. Logs are JSON lines on stderr. SIGTERM or SIGINT
stops it cleanly: networks, endpoints and sandboxes stay and are restored on the next start.

Options:
      --socket PATH              API socket (default /run/wasmnet/wasmnet.sock, or $WASMNET_SOCKET)
      --data-dir DIR             State directory (default ${DEFAULT_DATA_DIR})
      --drivers-dir DIR          Watched directory of driver components (.wasm; default DATA_DIR/drivers)
      --host-netns PATH          Plumb in this namespace instead of the host's (tests)
      --driver-limits FILE       JSON limits of the drivers, for all and per owner, e.g.
                                 {"storeQuota": {"totalBytes": 33554432}, "logLimitsByOwner":
                                 {"bridge": {"burst": 5000}}}; keys: memoryMaxBytes, maxComponentBytes, maxLinks,
                                 storeQuota, logLimits and their ...ByOwner maps (host/drivers/README.md)
      --cluster-store etcd://HOST:PORT[,HOST:PORT…]
                                 Join a cluster on etcd (list every member): global networks, table
                                 events and node discovery are shared with the other nodes
      --advertise-addr IP        The address the other nodes reach this one at (needed with --cluster-store)
      --node-name NAME           This node's name in the cluster (default: the host name)
      --cluster-ttl SECONDS      TTL of the node's lease: a silent node is gone after it (default ${DEFAULT_LEASE_TTL_SECONDS})
      --docker-plugin NAME       Docker plugin name (default "wasmnet": docker network create -d wasmnet)
      --docker-plugins-dir DIR   Where dockerd looks for plugin sockets (default ${DOCKER_PLUGINS_DIR})
      --docker-default-driver D  wasmnet driver for Docker networks without -o wasmnet.driver=… (default "bridge")
      --no-docker-plugin         Do not serve the Docker plugin
      --leftover-interval SECS   Between two sweeps for what engines left behind (endpoints whose
                                 sandbox namespace is gone; default ${DEFAULT_LEFTOVER_INTERVAL_MS / 1000}; 0: only at start)
      --shutdown-grace SECS      How long SIGTERM waits for the operations in progress (default ${DEFAULT_SHUTDOWN_GRACE_S});
                                 what is cut short is finished or undone at the next start
      --log-level LEVEL          debug, info, warn or error (default info)
`,
  async run(args, ctx) {
    const p = parse(
      args,
      {
        'data-dir': { type: 'string' },
        'drivers-dir': { type: 'string' },
        'host-netns': { type: 'string' },
        'driver-limits': { type: 'string' },
        'docker-plugin': { type: 'string' },
        'docker-plugins-dir': { type: 'string' },
        'docker-default-driver': { type: 'string' },
        'no-docker-plugin': { type: 'boolean' },
        'leftover-interval': { type: 'string' },
        'shutdown-grace': { type: 'string' },
        'log-level': { type: 'string' },
        'cluster-store': { type: 'string' },
        'advertise-addr': { type: 'string' },
        'node-name': { type: 'string' },
        'cluster-ttl': { type: 'string' },
      },
      { min: 0, max: 0, names: '' },
    );
    const level = (p.str('log-level') ?? 'info') as Level;
    if (!LEVELS.includes(level)) throw new UsageError(`--log-level must be one of ${LEVELS.join(', ')}`);
    const interval = seconds(p, 'leftover-interval');
    const graceMs = (seconds(p, 'shutdown-grace') ?? DEFAULT_SHUTDOWN_GRACE_S) * 1000;
    const write = jsonLogger((line) => ctx.io.stderr(line));
    const log: Logger = (l, msg, fields) => {
      if (LEVELS.indexOf(l) >= LEVELS.indexOf(level)) write(l, msg, fields);
    };
    // Listen for signals before the sockets appear: a SIGTERM during start-up then stops the daemon
    // cleanly once it has started, instead of killing it half-way (the default action).
    const signal = new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
    const cluster = clusterOptions(
      p.str('cluster-store'),
      p.str('advertise-addr'),
      p.str('node-name'),
      p.str('cluster-ttl'),
    );
    const daemon = await startDaemon({
      socketPath: ctx.client.socketPath,
      ...(cluster ? { cluster } : {}),
      dataDir: p.str('data-dir') ?? DEFAULT_DATA_DIR,
      ...(p.str('drivers-dir') ? { driversDir: p.str('drivers-dir') } : {}),
      ...(p.str('host-netns') ? { hostNetns: p.str('host-netns') } : {}),
      ...(p.str('driver-limits') ? { driverLimits: readDriverLimits(p.str('driver-limits')!) } : {}),
      ...(p.flag('no-docker-plugin')
        ? {}
        : {
            dockerPlugin: {
              name: p.str('docker-plugin') ?? 'wasmnet',
              dir: p.str('docker-plugins-dir') ?? DOCKER_PLUGINS_DIR,
              defaultDriver: p.str('docker-default-driver') ?? 'bridge',
            },
          }),
      listenFds: listenFds(),
      ...(interval === undefined ? {} : { leftoverIntervalMs: interval * 1000 }),
      log,
    });
    log('info', 'shutting down', { signal: await signal });
    if (!(await closesWithin(daemon, graceMs))) {
      // Every record is written before and after the kernel is asked: the next start finishes
      // or undoes what is cut short here, as after a crash.
      log('warn', 'operations still running after the shutdown grace: stopping anyway', { graceMs });
      process.exit(EXIT_OK);
    }
    log('info', 'stopped');
    return EXIT_OK;
  },
};
