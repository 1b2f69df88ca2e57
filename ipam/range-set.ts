// A set of bigint points held as sorted, disjoint, non-adjacent runs [start, end]. Memory is
// proportional to the number of runs, never to the span: it holds IPv6 allocations (a million
// sequential addresses are one run) and the pools allocated in an address space.

export class RangeSet {
  private readonly starts: bigint[] = [];
  private readonly ends: bigint[] = [];

  get runs(): number {
    return this.starts.length;
  }

  has(point: bigint): boolean {
    const i = this.firstEndingAtOrAfter(point);
    return i < this.starts.length && (this.starts[i] as bigint) <= point;
  }

  /** The end of a run that meets [first, last] (the lowest such run), or undefined. */
  overlapEnd(first: bigint, last: bigint): bigint | undefined {
    const i = this.firstEndingAtOrAfter(first);
    return i < this.starts.length && (this.starts[i] as bigint) <= last ? (this.ends[i] as bigint) : undefined;
  }

  /** The lowest point in [from, to] not in the set, or undefined. */
  nextAbsent(from: bigint, to: bigint): bigint | undefined {
    const i = this.firstEndingAtOrAfter(from);
    // Runs are non-adjacent, so the point after a run is always absent.
    const candidate =
      i < this.starts.length && (this.starts[i] as bigint) <= from ? (this.ends[i] as bigint) + 1n : from;
    return candidate <= to ? candidate : undefined;
  }

  add(first: bigint, last: bigint): void {
    // Runs touching [first - 1, last + 1] merge with the new one.
    const i = this.firstEndingAtOrAfter(first - 1n);
    let j = i;
    let start = first;
    let end = last;
    while (j < this.starts.length && (this.starts[j] as bigint) <= last + 1n) {
      if ((this.starts[j] as bigint) < start) start = this.starts[j] as bigint;
      if ((this.ends[j] as bigint) > end) end = this.ends[j] as bigint;
      j++;
    }
    this.starts.splice(i, j - i, start);
    this.ends.splice(i, j - i, end);
  }

  delete(first: bigint, last: bigint): void {
    const i = this.firstEndingAtOrAfter(first);
    let j = i;
    const keptStarts: bigint[] = [];
    const keptEnds: bigint[] = [];
    while (j < this.starts.length && (this.starts[j] as bigint) <= last) {
      const start = this.starts[j] as bigint;
      const end = this.ends[j] as bigint;
      if (start < first) {
        keptStarts.push(start);
        keptEnds.push(first - 1n);
      }
      if (end > last) {
        keptStarts.push(last + 1n);
        keptEnds.push(end);
      }
      j++;
    }
    this.starts.splice(i, j - i, ...keptStarts);
    this.ends.splice(i, j - i, ...keptEnds);
  }

  /** The runs in order, from the first one ending at or after `from`: [start, end] pairs. */
  *runsFrom(from: bigint): Generator<[bigint, bigint]> {
    for (let i = this.firstEndingAtOrAfter(from); i < this.starts.length; i++) {
      yield [this.starts[i] as bigint, this.ends[i] as bigint];
    }
  }

  /** Index of the first run whose end is >= point (binary search). */
  private firstEndingAtOrAfter(point: bigint): number {
    let low = 0;
    let high = this.ends.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.ends[mid] as bigint) < point) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
