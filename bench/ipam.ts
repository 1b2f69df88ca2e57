// IPAM figures: requestAddress/releaseAddress throughput in a /8 (lowest-free and serial, per
// million to show it stays flat), requestPool among 1 000 allocated pools, memory of a full /8,
// of empty IPv6 /64 pools and of a million IPv6 allocations, and beside them the CNI reference
// host-local plugin driven per the CNI spec in the same run.
//   npm run bench -- ipam [--json] [--addresses N] [--host-local-ops N]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DefaultIpam } from '../ipam/index.js';
import { formatV4 } from '../ipam/address.js';
import { percentile, type BenchOptions, type BenchReport, type BenchRow } from './report.js';

const HOST_LOCAL = '/usr/lib/cni/host-local';
const SLICE = 1_000_000;
const SLASH8_FIRST = 0x0a000001; // 10.0.0.1, the first address given in 10.0.0.0/8

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap plus off-heap (typed array) bytes in use after a full collection. */
function usedBytes(): number {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

function flag(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  return at < 0 ? fallback : Number(args[at + 1]);
}

/** Runs `count` awaited calls; ops/s per slice of SLICE calls (the last may be shorter). */
async function sliced(count: number, call: (i: number) => Promise<unknown>): Promise<number[]> {
  const rates: number[] = [];
  for (let start = 0; start < count; start += SLICE) {
    const end = Math.min(count, start + SLICE);
    const began = performance.now();
    for (let i = start; i < end; i++) await call(i);
    rates.push(((end - start) * 1000) / (performance.now() - began));
  }
  return rates;
}

function harmonicMean(rates: number[]): number {
  return rates.length / rates.reduce((sum, rate) => sum + 1 / rate, 0);
}

function flatness(rates: number[]): string {
  const first = rates[0] as number;
  const last = rates[rates.length - 1] as number;
  return `first million ${Math.round(first).toLocaleString('en-US')}/s, last ${Math.round(last).toLocaleString('en-US')}/s, min ${Math.round(Math.min(...rates)).toLocaleString('en-US')}/s`;
}

async function slash8(addresses: number): Promise<{ request: number[]; release: number[]; fullBytes: number }> {
  const before = usedBytes();
  const ipam = new DefaultIpam();
  const { poolId } = await ipam.requestPool({ addressSpace: 'LocalDefault', pool: '10.0.0.0/8' });
  const request = await sliced(addresses, () => ipam.requestAddress(poolId));
  // Fill the rest of the /8 (2^24 - 2 usable addresses), untimed, then weigh it.
  for (let i = addresses; i < 2 ** 24 - 2; i++) await ipam.requestAddress(poolId);
  const fullBytes = usedBytes() - before;
  const release = await sliced(addresses, (i) => ipam.releaseAddress(poolId, formatV4(SLASH8_FIRST + i)));
  return { request, release, fullBytes };
}

async function serialSlash8(addresses: number): Promise<{ request: number[]; release: number[] }> {
  const ipam = new DefaultIpam();
  const { poolId } = await ipam.requestPool({
    addressSpace: 'LocalDefault',
    pool: '10.0.0.0/8',
    options: { 'com.docker.network.ipam.serial': 'true' },
  });
  // Start mid-pool with holes behind the cursor, so the round-robin path is what is measured.
  for (let i = 0; i < 1000; i++) await ipam.requestAddress(poolId);
  for (let i = 0; i < 1000; i += 2) await ipam.releaseAddress(poolId, formatV4(SLASH8_FIRST + i));
  const request = await sliced(addresses, () => ipam.requestAddress(poolId));
  const release = await sliced(addresses, (i) => ipam.releaseAddress(poolId, formatV4(SLASH8_FIRST + 1000 + i)));
  return { request, release };
}

/**
 * µs per dynamic requestPool (global space, /24s) with 1 000 pools allocated: 1 000 contiguous
 * /24s, or a /25 in each of the first 1 000 /24s, so the search crosses 1 000 separate runs.
 */
async function poolAmong1000(length: 24 | 25): Promise<number[]> {
  const ipam = new DefaultIpam();
  for (let i = 0; i < 1000; i++) {
    await ipam.requestPool({ addressSpace: 'GlobalDefault', pool: `10.${i >> 8}.${i & 255}.0/${length}` });
  }
  const samples: number[] = [];
  for (let s = 0; s < 3000; s++) {
    const began = performance.now();
    const { poolId } = await ipam.requestPool({ addressSpace: 'GlobalDefault', exclude: ['10.255.255.0/24'] });
    samples.push((performance.now() - began) * 1000);
    await ipam.releasePool(poolId);
  }
  return samples.slice(500);
}

async function emptyV6PoolBytes(): Promise<number> {
  const count = 10_000;
  const ipam = new DefaultIpam();
  const ids: string[] = [];
  const before = usedBytes();
  for (let i = 0; i < count; i++) {
    ids.push(
      (await ipam.requestPool({ addressSpace: 'LocalDefault', pool: `2001:db8:${i.toString(16)}::/64` })).poolId,
    );
  }
  const bytes = (usedBytes() - before) / count;
  if (ids.length !== count) throw new Error('lost pools');
  return bytes;
}

async function millionV6Bytes(): Promise<number> {
  const ipam = new DefaultIpam();
  const { poolId } = await ipam.requestPool({ addressSpace: 'LocalDefault', pool: '2001:db8::/64' });
  const before = usedBytes();
  for (let i = 0; i < 1_000_000; i++) await ipam.requestAddress(poolId);
  return usedBytes() - before;
}

/** ms per ADD and per DEL of the host-local plugin, each its own process as a runtime runs it. */
function hostLocal(ops: number): { add: number[]; del: number[] } {
  const dataDir = mkdtempSync(join(tmpdir(), 'wasmnet-bench-host-local-'));
  try {
    const config = JSON.stringify({
      cniVersion: '1.0.0',
      name: 'wasmnet-bench',
      type: 'bridge',
      ipam: { type: 'host-local', subnet: '10.99.0.0/16', dataDir },
    });
    const call = (command: string, id: number): number => {
      const began = performance.now();
      execFileSync(HOST_LOCAL, [], {
        input: config,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: {
          CNI_COMMAND: command,
          CNI_CONTAINERID: `wasmnet-bench-${id}`,
          CNI_NETNS: '/var/run/netns/wasmnet-bench',
          CNI_IFNAME: 'eth0',
          CNI_PATH: '/usr/lib/cni',
        },
      });
      return performance.now() - began;
    };
    const add: number[] = [];
    const del: number[] = [];
    for (let i = 0; i < ops; i++) add.push(call('ADD', i));
    for (let i = 0; i < ops; i++) del.push(call('DEL', i));
    return { add, del };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;

export async function run(options: BenchOptions): Promise<BenchReport> {
  const addresses = flag(options.args, '--addresses', 10_000_000);
  const hostLocalOps = flag(options.args, '--host-local-ops', 300);

  const first = await slash8(addresses);
  const serial = await serialSlash8(addresses);
  const contiguous = await poolAmong1000(24);
  const scattered = await poolAmong1000(25);
  const emptyV6 = await emptyV6PoolBytes();
  const millionV6 = await millionV6Bytes();
  const peer = hostLocal(hostLocalOps);

  const requestPerSec = harmonicMean(first.request);
  const releasePerSec = harmonicMean(first.release);
  const serialPerSec = harmonicMean(serial.request);
  const serialReleasePerSec = harmonicMean(serial.release);
  const oursPerOpMs = (1000 / requestPerSec + 1000 / releasePerSec) / 2;
  const hostLocalPerOpMs = mean([...peer.add, ...peer.del]);
  const ratio = hostLocalPerOpMs / oursPerOpMs;
  const poolUs = percentile(scattered, 50);
  const peerNote = `host-local ${hostLocalPerOpMs.toFixed(3)} ms/op: ${Math.round(ratio).toLocaleString('en-US')}x faster`;

  const rows: BenchRow[] = [
    {
      label: `requestAddress, lowest free, /8, ${addresses.toLocaleString('en-US')} addresses`,
      value: requestPerSec,
      unit: 'ops/s',
      note: flatness(first.request),
    },
    {
      label: `releaseAddress, /8, ${addresses.toLocaleString('en-US')} addresses`,
      value: releasePerSec,
      unit: 'ops/s',
      note: flatness(first.release),
    },
    {
      label: `requestAddress, serial, /8, ${addresses.toLocaleString('en-US')} addresses`,
      value: serialPerSec,
      unit: 'ops/s',
      note: flatness(serial.request),
    },
    {
      label: `releaseAddress, serial, /8, ${addresses.toLocaleString('en-US')} addresses`,
      value: serialReleasePerSec,
      unit: 'ops/s',
      note: flatness(serial.release),
    },
    { label: 'requestAddress + releaseAddress, per op', value: oursPerOpMs * 1000, unit: 'µs', note: peerNote },
    { label: 'host-local ADD (CNI, one process per call) p50', value: percentile(peer.add, 50), unit: 'ms' },
    { label: 'host-local DEL (CNI, one process per call) p50', value: percentile(peer.del, 50), unit: 'ms' },
    {
      label: 'requestPool among 1 000 pools (1 000 separate /25s) p50',
      value: poolUs,
      unit: 'µs',
      note: `p99 ${percentile(scattered, 99).toFixed(1)} µs`,
    },
    {
      label: 'requestPool among 1 000 pools (contiguous /24s) p50',
      value: percentile(contiguous, 50),
      unit: 'µs',
      note: `p99 ${percentile(contiguous, 99).toFixed(1)} µs`,
    },
    { label: 'memory: IPv4 /8 full (16 777 214 addresses)', value: first.fullBytes / 2 ** 20, unit: 'MiB' },
    { label: 'memory: empty IPv6 /64 pool (mean of 10 000)', value: emptyV6, unit: 'bytes' },
    { label: 'memory: 1 000 000 sequential IPv6 allocations', value: millionV6 / 2 ** 20, unit: 'MiB' },
  ];
  return {
    rows,
    figures: {
      requestAddressPerSec: Math.round(requestPerSec),
      releaseAddressPerSec: Math.round(releasePerSec),
      serialRequestAddressPerSec: Math.round(serialPerSec),
      serialReleaseAddressPerSec: Math.round(serialReleasePerSec),
      requestPoolAmong1000Us: Number(poolUs.toFixed(2)),
      fullSlash8MB: Number((first.fullBytes / 2 ** 20).toFixed(3)),
      emptyV6PoolBytes: Math.round(emptyV6),
      millionV6MB: Number((millionV6 / 2 ** 20).toFixed(3)),
      hostLocalPerOpMs: Number(hostLocalPerOpMs.toFixed(3)),
      ratioVsHostLocal: Math.round(ratio),
    },
  };
}
