// The benchmarks' command-line options: `--name value` after the benchmark's name.

/** `--name N`: a positive number, else `fallback`. */
export function numberOption(args: readonly string[], name: string, fallback: number): number {
  const value = Number(stringOption(args, name));
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/** `--name VALUE`, when given. */
export function stringOption(args: readonly string[], name: string): string | undefined {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
}
