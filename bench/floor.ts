// The C floor as a peer: bench/floor/endpoint.c (one endpoint's netlink sequence, from C), built
// with the system's `cc` into a cache directory the first time a benchmark needs it, and run
// inside the benchmark's private host namespace on a bridge of its own.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Netns, Rtnl } from '../host/netlink/index.js';
import { runIn } from './peers.js';

const SOURCE = fileURLToPath(new URL('../../bench/floor/endpoint.c', import.meta.url));
const CACHE_DIR = join(tmpdir(), 'wasmnet-bench-floor');

/** The floor's binary, built from its source unless a build of that same source is cached. */
export function floorBinary(): string {
  const source = readFileSync(SOURCE);
  const binary = join(CACHE_DIR, `endpoint-${createHash('sha256').update(source).digest('hex').slice(0, 16)}`);
  if (existsSync(binary)) return binary;
  mkdirSync(CACHE_DIR, { recursive: true });
  const building = `${binary}.${process.pid}`;
  execFileSync('cc', ['-O2', '-Wall', '-o', building, SOURCE], { stdio: ['ignore', 'ignore', 'inherit'] });
  renameSync(building, binary); // whole or not at all, should two runs build at once
  return binary;
}

/** Whether the system's C compiler is there (a fresh machine has it; a slim image may not). */
export function floorAvailable(): boolean {
  try {
    execFileSync('cc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The floor's lifecycles on bridge `bridge` (made here, with `net`.0.1/16 on it) in `host`,
 * namespace files in `netnsDir`: each run's setup and teardown, in ms.
 */
export class Floor {
  readonly up: number[] = [];
  readonly down: number[] = [];
  readonly #binary = floorBinary();

  constructor(
    private readonly host: Netns,
    private readonly netnsDir: string,
    private readonly bridge = 'flbr0',
    private readonly net = '10.250',
  ) {
    const rtnl = new Rtnl(host);
    rtnl.linkAdd({ name: bridge, kind: { tag: 'bridge' }, bridge: { mcastSnooping: false }, up: true });
    rtnl.addrAdd({ link: bridge, cidr: `${net}.0.1/16`, nodad: false });
  }

  /** Runs `count` lifecycles, keeping their figures unless `warmUp`. */
  run(count: number, warmUp = false): void {
    mkdirSync(this.netnsDir, { recursive: true });
    const out = runIn(this.host, this.#binary, [this.netnsDir, this.bridge, this.net, String(count)]);
    if (warmUp) return;
    for (const line of out.trim().split('\n')) {
      const [up, down] = line.split(' ').map(Number);
      this.up.push(up as number);
      this.down.push(down as number);
    }
  }
}
