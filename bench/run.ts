// `npm run bench -- NAME [--json] [--record]`: runs bench/NAME.ts (compiled to dist/bench/NAME.js).
// Each benchmark module exports `run(options)` and returns its figures; this runner prints
// them as a table for people, with --json ends with one JSON line of the figures, and with
// --record appends a dated entry to bench/RESULTS.md (record.ts).
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commit, machine, RESULTS_FILE, recordReport } from './record.js';
import { printReport, type BenchModule } from './report.js';

/** Modules of bench/ that are helpers, not benchmarks. */
const HELPERS = [
  'run',
  'report',
  'record',
  'options',
  'peers',
  'quiet',
  'workdir',
  'floor',
  'engines-cni',
  'firewall-docker',
];
const RUNNER_FLAGS = ['--json', '--record'];

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((file) => file.endsWith('.js'))
  .map((file) => file.slice(0, -'.js'.length))
  .filter((file) => !HELPERS.includes(file))
  .sort();

const args = process.argv.slice(2);
const json = args.includes('--json');
const record = args.includes('--record');
const name = args.find((arg) => !arg.startsWith('--'));
if (name === undefined || !available.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <name> [--json] [--record]\nbenchmarks: ${available.join(', ')}\n`);
  process.exit(2);
}
// When and on what the figures were measured: taken before the run.
const run = { date: new Date().toISOString(), commit: commit(), machine: machine(), args };
const bench = (await import(`./${name}.js`)) as BenchModule;
const report = await bench.run({ args: args.filter((arg) => arg !== name && !RUNNER_FLAGS.includes(arg)) });
printReport(name, report, json);
if (record) {
  recordReport(name, report, run);
  process.stderr.write(`recorded in ${RESULTS_FILE}\n`);
}
