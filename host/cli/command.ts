// What every CLI command shares: its I/O, the API client, the output format, exit codes, and
// option parsing with node's util.parseArgs (unknown options and missing values are usage errors).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { type ApiClient, ApiClientError } from '../api/client.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stderr is a terminal (for the progress indicator). */
  interactive: boolean;
  env: Record<string, string | undefined>;
}

export interface Context {
  io: Io;
  client: ApiClient;
  json: boolean;
}

export interface Command {
  name: string;
  summary: string;
  help: string;
  run(args: string[], ctx: Context): Promise<number>;
}

/** A wrong invocation: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

export class Parsed {
  constructor(
    readonly values: Record<string, unknown>,
    readonly positionals: string[],
  ) {}
  /** A string option's value. */
  str(name: string): string | undefined {
    const v = this.values[name];
    return typeof v === 'string' ? v : undefined;
  }
  /** A repeatable string option's values. */
  list(name: string): string[] {
    const v = this.values[name];
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  }
  flag(name: string): boolean {
    return this.values[name] === true;
  }
}

/** parseArgs, strict, with usage errors instead of TypeErrors. */
export function parse(
  args: string[],
  options: Options,
  positionals: { min: number; max: number; names: string },
): Parsed {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const count = parsed.positionals.length;
  if (count < positionals.min || count > positionals.max) {
    throw new UsageError(
      count < positionals.min
        ? `missing ${positionals.names}`
        : `unexpected argument ${JSON.stringify(parsed.positionals[positionals.max])}`,
    );
  }
  return new Parsed(parsed.values as Record<string, unknown>, parsed.positionals);
}

/** `k=v` pairs of a repeated option. */
export function pairs(values: string[], option: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of values) {
    const at = item.indexOf('=');
    if (at <= 0) throw new UsageError(`--${option} wants key=value, got ${JSON.stringify(item)}`);
    out[item.slice(0, at)] = item.slice(at + 1);
  }
  return out;
}

/** A subcommand group (network, sandbox, ...): dispatches to its verbs, prints help. */
export function group(name: string, summary: string, verbs: Command[]): Command {
  const help = `Usage: wasmnet ${name} COMMAND

${summary}

Commands:
${verbs.map((v) => `  ${v.name.padEnd(12)}${v.summary}`).join('\n')}

Run 'wasmnet ${name} COMMAND --help' for more information on a command.
`;
  return {
    name,
    summary,
    help,
    async run(args, ctx) {
      const [verb, ...rest] = args;
      if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
        ctx.io.stdout(help);
        return verb === undefined ? EXIT_USAGE : EXIT_OK;
      }
      const command = verbs.find((v) => v.name === verb);
      if (command === undefined) throw new UsageError(`unknown command 'wasmnet ${name} ${verb}'`);
      if (rest.includes('--help') || rest.includes('-h')) {
        ctx.io.stdout(command.help);
        return EXIT_OK;
      }
      return command.run(rest, ctx);
    },
  };
}

/** Why a network name may not be found: dockerd never tells a plugin the names it gives. */
const DOCKER_NAMES_HINT =
  "a Docker network is named docker-<the first 12 characters of its id> here and is also found by any unique prefix of its id: docker network inspect -f '{{.Id}}' NAME";

/** An API error as one clear line. */
export function describe(error: unknown): string {
  if (error instanceof ApiClientError) {
    if (error.code === 'unreachable')
      return `${error.message} (is 'wasmnet daemon' running? --socket or WASMNET_SOCKET selects the socket)`;
    if (error.code === 'no-such-network') return `${error.message} [${error.code}] (${DOCKER_NAMES_HINT})`;
    return `${error.message} [${error.code}]`;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * Deletes each ref under `base` (with `body`, e.g. `{force: true}`), printing it; one failure
 * does not stop the others (exit 1).
 */
export async function removeEach(ctx: Context, base: string, refs: string[], body?: unknown): Promise<number> {
  let code = EXIT_OK;
  for (const ref of refs) {
    try {
      await ctx.client.delete(`${base}/${encodeURIComponent(ref)}`, body);
      ctx.io.stdout(`${ref}\n`);
    } catch (error) {
      ctx.io.stderr(`Error: ${ref}: ${describe(error)}\n`);
      code = EXIT_FAILED;
    }
  }
  return code;
}
