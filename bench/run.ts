// `npm run bench -- NAME [--json]`: runs bench/NAME.ts (compiled to dist/bench/NAME.js).
// Each benchmark module exports `run(options)` and returns its figures; this runner prints
// them as a table for people and, with --json, ends with one JSON line of the figures.
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printReport, type BenchModule } from './report.js';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((file) => file.endsWith('.js') && !['run.js', 'report.js'].includes(file))
  .map((file) => file.slice(0, -'.js'.length))
  .sort();

const args = process.argv.slice(2);
const json = args.includes('--json');
const name = args.find((arg) => !arg.startsWith('--'));
if (name === undefined || !available.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <name> [--json]\nbenchmarks: ${available.join(', ')}\n`);
  process.exit(2);
}
const bench = (await import(`./${name}.js`)) as BenchModule;
const report = await bench.run({ args: args.filter((arg) => arg !== name && arg !== '--json') });
printReport(name, report, json);
