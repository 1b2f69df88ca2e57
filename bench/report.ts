// The shape every benchmark returns, and how the runner prints it.

export interface BenchOptions {
  /** Extra command-line arguments after the benchmark's name. */
  args: string[];
}

export interface BenchRow {
  /** What was measured, e.g. "wasmnet setup p50". */
  label: string;
  value: number;
  unit: string;
  /** A peer measured in the same run, and the ratio printed beside the figure. */
  note?: string;
}

export interface BenchReport {
  rows: BenchRow[];
  /** The figures the issue names, under the keys it gives. */
  figures: Record<string, number | string | boolean | null>;
}

export interface BenchModule {
  run(options: BenchOptions): Promise<BenchReport>;
}

export function printReport(name: string, report: BenchReport, json: boolean): void {
  const labelWidth = Math.max(10, ...report.rows.map((row) => row.label.length));
  const valueWidth = Math.max(8, ...report.rows.map((row) => formatValue(row.value).length));
  const lines = [`benchmark: ${name}`, ''];
  for (const row of report.rows) {
    const note = row.note === undefined ? '' : `  ${row.note}`;
    lines.push(`${row.label.padEnd(labelWidth)}  ${formatValue(row.value).padStart(valueWidth)} ${row.unit}${note}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  if (json) process.stdout.write(`${JSON.stringify(report.figures)}\n`);
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(4);
}

/** A figure for the JSON line: three decimals. */
export function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** The p-th percentile of samples (any unit). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

/**
 * Medians of the times of `a` and `b`, `runs` each after `warmUps` untimed of each, the two
 * alternating (a b, b a, ...) so that the machine's drift hits both alike.
 */
export function alternatingMedians(a: () => void, b: () => void, runs: number, warmUps: number): [number, number] {
  const time = (task: () => void): number => {
    const started = performance.now();
    task();
    return performance.now() - started;
  };
  for (let i = 0; i < warmUps; i += 1) {
    time(a);
    time(b);
  }
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    if (i % 2 === 0) {
      as.push(time(a));
      bs.push(time(b));
    } else {
      bs.push(time(b));
      as.push(time(a));
    }
  }
  return [percentile(as, 50), percentile(bs, 50)];
}
