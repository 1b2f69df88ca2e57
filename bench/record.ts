// `npm run bench -- NAME --record`: appends one dated entry per run to bench/RESULTS.md (the
// date, the commit, the machine and the figures), so a figure in the docs can name the run it
// came from. Entries are only appended: an old entry is history, never rewritten.
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { cpus, release, type } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BenchReport } from './report.js';

/** The repository's root, from dist/bench/record.js. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const RESULTS_FILE = fileURLToPath(new URL('../../bench/RESULTS.md', import.meta.url));
const RESULTS_PATH = 'bench/RESULTS.md';

export interface Machine {
  cpu: string;
  cores: number;
  kernel: string;
  node: string;
}

export interface RunInfo {
  /** When the run started (ISO 8601, UTC). */
  date: string;
  /** Short hash of HEAD, `-dirty` when the tree differs from it. */
  commit: string;
  machine: Machine;
  /** The arguments after `npm run bench --`, as given. */
  args: string[];
}

export function machine(): Machine {
  const all = cpus();
  return {
    cpu: all[0]?.model.trim() || 'unknown',
    cores: all.length,
    kernel: `${type()} ${release()}`,
    node: process.version,
  };
}

/**
 * HEAD's short hash; `-dirty` when tracked or untracked files differ from it (RESULTS.md itself
 * excepted: recording one run must not mark the next one dirty). `unknown` outside a git tree.
 */
export function commit(root = ROOT): string {
  const git = (...args: string[]): string =>
    execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const hash = git('rev-parse', '--short', 'HEAD');
    const changes = git('status', '--porcelain', '--', '.', `:(exclude)${RESULTS_PATH}`);
    return changes === '' ? hash : `${hash}-dirty`;
  } catch {
    return 'unknown';
  }
}

/** A markdown table cell: one line, pipes escaped. */
function cell(value: unknown): string {
  return String(value)
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\|/g, '\\|');
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}

/** The entry for one run: a heading, where it ran, the printed rows (peers beside ours), the --json figures. */
export function formatEntry(name: string, report: BenchReport, run: RunInfo): string {
  const { cpu, cores, kernel, node } = run.machine;
  const lines = [
    `### ${run.date} · ${name}`,
    '',
    `- command: \`npm run bench -- ${run.args.join(' ')}\``,
    `- commit: \`${run.commit}\``,
    `- machine: ${cell(cpu)}, ${cores} cores, ${cell(kernel)}, Node ${node}`,
    '',
    '| measure | value | unit | peer or note, same run |',
    '|---|---|---|---|',
    ...report.rows.map(
      (row) => `| ${cell(row.label)} | ${formatNumber(row.value)} | ${cell(row.unit)} | ${cell(row.note ?? '')} |`,
    ),
    '',
    'Figures (`--json`):',
    '',
    '| figure | value |',
    '|---|---|',
    ...Object.entries(report.figures).map(([key, value]) => `| ${cell(key)} | ${cell(JSON.stringify(value))} |`),
    '',
  ];
  return lines.join('\n');
}

/** Appends the run's entry to `file` (bench/RESULTS.md by default); returns the entry. */
export function recordReport(name: string, report: BenchReport, run: RunInfo, file = RESULTS_FILE): string {
  const entry = formatEntry(name, report, run);
  const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const separator = before === '' ? '' : before.endsWith('\n\n') ? '' : before.endsWith('\n') ? '\n' : '\n\n';
  appendFileSync(file, `${separator}${entry}`);
  return entry;
}
