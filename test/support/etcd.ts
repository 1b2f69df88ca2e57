// Real etcd for tests and benchmarks: Debian's `etcd-server`, started by the test on loopback
// ports of its own with a data directory of its own, stopped (by pid) and removed when it ends.
// One member or a cluster of three; a member can be killed and restarted to test outages.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ETCD_BINARY = '/usr/bin/etcd';

export interface EtcdMember {
  readonly name: string;
  /** The client URL, `http://127.0.0.1:PORT`. */
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  process: ChildProcess | undefined;
}

export interface EtcdCluster {
  readonly members: readonly EtcdMember[];
  /** Every member's client URL, as `etcd3` and `--cluster-store` take them. */
  readonly endpoints: string[];
  /** `etcd://127.0.0.1:P1,127.0.0.1:P2,…`, the daemon's `--cluster-store`. */
  readonly clusterStore: string;
  /** SIGKILLs one member (by its pid) and waits for it to exit. */
  kill(member: EtcdMember): Promise<void>;
  /** Starts a killed member again on its data directory and waits until it serves. */
  restart(member: EtcdMember): Promise<void>;
  /** The member that currently leads, asked through its /v3 maintenance status. */
  leader(): Promise<EtcdMember>;
  /** Stops every member and removes the data directories. */
  stop(): Promise<void>;
}

/** Whether this machine has etcd (CI installs `etcd-server`). */
export async function haveEtcd(): Promise<boolean> {
  const { access } = await import('node:fs/promises');
  return access(ETCD_BINARY).then(
    () => true,
    () => false,
  );
}

/** Starts `size` members (1 or 3) on free loopback ports; stopped after `t` when given. */
export async function startEtcd(
  options: { size?: number; t?: { after(fn: () => Promise<void>): void } } = {},
): Promise<EtcdCluster> {
  const size = options.size ?? 1;
  const root = mkdtempSync(join(tmpdir(), 'wasmnet-etcd-'));
  const members: EtcdMember[] = [];
  for (let i = 0; i < size; i++) {
    const [clientPort, peerPort] = [await freePort(), await freePort()];
    members.push({
      name: `m${i}`,
      clientUrl: `http://127.0.0.1:${clientPort}`,
      peerUrl: `http://127.0.0.1:${peerPort}`,
      dataDir: join(root, `m${i}`),
      process: undefined,
    });
  }
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const launch = (member: EtcdMember, state: 'new' | 'existing'): void => {
    member.process = spawn(
      ETCD_BINARY,
      [
        `--name=${member.name}`,
        `--data-dir=${member.dataDir}`,
        `--listen-client-urls=${member.clientUrl}`,
        `--advertise-client-urls=${member.clientUrl}`,
        `--listen-peer-urls=${member.peerUrl}`,
        `--initial-advertise-peer-urls=${member.peerUrl}`,
        `--initial-cluster=${initialCluster}`,
        `--initial-cluster-state=${state}`,
        '--initial-cluster-token=wasmnet-test',
        // Tests run many members on two cores: shorter elections keep outages short.
        '--heartbeat-interval=50',
        '--election-timeout=500',
        '--logger=zap',
        '--log-level=error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    member.process.stderr?.resume();
  };
  const stop = async (): Promise<void> => {
    await Promise.all(members.map((m) => killMember(m)));
    await rm(root, { recursive: true, force: true });
  };
  options.t?.after(stop);
  try {
    for (const member of members) launch(member, 'new');
    await Promise.all(members.map((m) => waitHealthy(m)));
  } catch (error) {
    await stop();
    throw error;
  }
  const endpoints = members.map((m) => m.clientUrl);
  return {
    members,
    endpoints,
    clusterStore: `etcd://${endpoints.map((url) => url.replace('http://', '')).join(',')}`,
    kill: killMember,
    restart: async (member) => {
      await killMember(member);
      launch(member, 'existing');
      await waitHealthy(member);
    },
    leader: async () => {
      for (const member of members) {
        if (member.process === undefined) continue;
        const status = await postJson(member.clientUrl, '/v3/maintenance/status', {}).catch(() => undefined);
        const header = status as { header?: { member_id?: string }; leader?: string } | undefined;
        if (header?.leader !== undefined && header.leader === header.header?.member_id) return member;
      }
      throw new Error('no etcd member reports itself as the leader');
    },
    stop,
  };
}

async function killMember(member: EtcdMember): Promise<void> {
  const child = member.process;
  member.process = undefined;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

async function waitHealthy(member: EtcdMember, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const child = member.process;
    if (child === undefined || child.exitCode !== null) throw new Error(`etcd member ${member.name} exited`);
    const health = await fetch(`${member.clientUrl}/health`)
      .then((r) => r.json() as Promise<{ health?: string }>)
      .catch(() => undefined);
    if (health?.health === 'true') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`etcd member ${member.name} was not healthy within ${timeoutMs} ms`);
}

async function postJson(base: string, path: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return response.json();
}

/** A loopback TCP port that was free a moment ago. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
