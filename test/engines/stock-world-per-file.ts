// One stock dockerd world per test file (stock-world.ts): started before the file's tests,
// emptied after each, closed after all.
import { after, afterEach, before } from 'node:test';
import { rootSkip } from '../support/root.js';
import { dockerInstalled, type DockerOptions } from './docker.js';
import { type StockWorld, startStockWorld } from './stock-world.js';

/** Why a test of a stock dockerd skips here, or false where it runs. */
export const stockSkip: string | false =
  rootSkip || (!dockerInstalled() && 'needs Debian docker.io, containerd, busybox-static');

/**
 * One world for a test file: started before its tests, emptied after each, closed after all.
 * Returns the world's getter; nothing starts when `skip` says why not.
 */
export function stockWorldPerFile(label: string, options: DockerOptions, skip: string | false): () => StockWorld {
  let world: StockWorld | undefined;
  before(
    async () => {
      if (!skip) world = await startStockWorld(label, options);
    },
    { timeout: 120_000 },
  );
  afterEach(() => world?.reset());
  after(async () => world?.close());
  return () => {
    if (world === undefined) throw new Error('the stock dockerd world did not start');
    return world;
  };
}
