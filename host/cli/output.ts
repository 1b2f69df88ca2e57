// Output: aligned tables by default, JSON with --format json.
import type { Context } from './command.js';

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

/** Prints `data` as JSON, or as the table `toRows` makes of it. */
export function print<T>(ctx: Context, data: T[], headers: string[], toRows: (item: T) => string[]): void {
  ctx.io.stdout(ctx.json ? `${JSON.stringify(data, null, 2)}\n` : table(headers, data.map(toRows)));
}

export const shortId = (id: string): string => id.slice(0, 12);

/** A spinner on a terminal, one line otherwise; `stop` clears it. */
export function progress(ctx: Context, message: string): { stop(): void } {
  if (!ctx.io.interactive) {
    ctx.io.stderr(`${message}...\n`);
    return { stop() {} };
  }
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let frame = 0;
  const started = Date.now();
  const draw = () =>
    ctx.io.stderr(`\r${frames[frame++ % frames.length]} ${message} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  draw();
  const timer = setInterval(draw, 100);
  return {
    stop() {
      clearInterval(timer);
      ctx.io.stderr('\r\x1b[K');
    },
  };
}
