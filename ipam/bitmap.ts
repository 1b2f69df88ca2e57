// A bitmap over [0, size) allocated lazily in 64 Kibit chunks, so an empty pool costs a few
// bytes and a full IPv4 /8 costs its 2 MiB of bits. A per-chunk population count lets a search
// skip full chunks, and `lowestClear` (every index below it is set) makes "lowest free" O(1)
// amortised when allocating in order.

const CHUNK_SHIFT = 16;
const CHUNK_BITS = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK_BITS - 1;
const FULL_WORD = 0xffffffff;

export class Bitmap {
  private readonly chunks: (Uint32Array | undefined)[];
  private readonly population: Uint32Array;
  private lowestClear = 0;

  constructor(readonly size: number) {
    const count = Math.ceil(size / CHUNK_BITS);
    this.chunks = new Array<Uint32Array | undefined>(count).fill(undefined);
    this.population = new Uint32Array(count);
  }

  has(index: number): boolean {
    const chunk = this.chunks[index >>> CHUNK_SHIFT];
    if (chunk === undefined) return false;
    const bit = index & CHUNK_MASK;
    return ((chunk[bit >>> 5] as number) & (1 << (bit & 31))) !== 0;
  }

  /** Sets a bit the caller knows is clear. */
  set(index: number): void {
    const c = index >>> CHUNK_SHIFT;
    let chunk = this.chunks[c];
    if (chunk === undefined) {
      chunk = new Uint32Array(Math.ceil(Math.min(CHUNK_BITS, this.size - c * CHUNK_BITS) / 32));
      this.chunks[c] = chunk;
    }
    const bit = index & CHUNK_MASK;
    chunk[bit >>> 5] = (chunk[bit >>> 5] as number) | (1 << (bit & 31));
    this.population[c] = (this.population[c] as number) + 1;
  }

  /** Clears a bit; false when it was already clear. */
  clear(index: number): boolean {
    if (!this.has(index)) return false;
    const c = index >>> CHUNK_SHIFT;
    const chunk = this.chunks[c] as Uint32Array;
    const bit = index & CHUNK_MASK;
    chunk[bit >>> 5] = (chunk[bit >>> 5] as number) & ~(1 << (bit & 31));
    this.population[c] = (this.population[c] as number) - 1;
    if (index < this.lowestClear) this.lowestClear = index;
    return true;
  }

  /** The lowest clear index in [from, to], or -1. */
  nextClear(from: number, to: number): number {
    const start = Math.max(from, this.lowestClear);
    const found = this.scan(start, to);
    // The scan started at the hint, so everything it passed over is set.
    if (from <= this.lowestClear) this.lowestClear = found < 0 ? to + 1 : found;
    return found;
  }

  private scan(start: number, to: number): number {
    let index = start;
    while (index <= to) {
      const c = index >>> CHUNK_SHIFT;
      const chunk = this.chunks[c];
      const chunkEnd = (c + 1) * CHUNK_BITS;
      if (chunk === undefined) return index;
      if (this.population[c] === Math.min(CHUNK_BITS, this.size - c * CHUNK_BITS)) {
        index = chunkEnd;
        continue;
      }
      let word = (index & CHUNK_MASK) >>> 5;
      // Treat the bits below `index` in its first word as set.
      let free = ~(chunk[word] as number) & (FULL_WORD << (index & 31));
      while (free === 0 && ++word < chunk.length) free = ~(chunk[word] as number);
      if (free !== 0) {
        const found = c * CHUNK_BITS + word * 32 + (31 - Math.clz32(free & -free));
        return found <= to && found < this.size ? found : -1;
      }
      index = chunkEnd;
    }
    return -1;
  }
}
