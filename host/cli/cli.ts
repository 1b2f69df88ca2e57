// The `wasmnet` command line: global options, dispatch to command groups, errors and exit codes.
import { ApiClient } from '../api/client.js';
import { DEFAULT_API_SOCKET } from '../api/socket-path.js';
import { describe, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, type Command, type Io } from './command.js';
import { daemonCommand } from './daemon.js';
import { driverCommand, ipamCommand } from './driver.js';
import { endpointCommand } from './endpoint.js';
import { networkCommand } from './network.js';
import { sandboxCommand } from './sandbox.js';

const COMMANDS: Command[] = [
  daemonCommand,
  networkCommand,
  endpointCommand,
  sandboxCommand,
  driverCommand,
  ipamCommand,
];

export const HELP = `wasmnet — a container network host whose drivers are sandboxed WebAssembly components

Usage: wasmnet [--socket PATH] [--format table|json] COMMAND

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)}${c.summary}`).join('\n')}
  help      Show this help

Global options (anywhere on the line):
      --socket PATH           The daemon's API socket (default ${DEFAULT_API_SOCKET}, or $WASMNET_SOCKET)
      --format table|json     Output format (default table)
  -h, --help                  Help for wasmnet or for a command

Run 'wasmnet COMMAND --help' for more information on a command.
`;

/**
 * Takes every `--name value` / `--name=value` out of argv. Given twice it is a usage error, as
 * Docker's CLI answers two -H ("Specify only one -H"): which daemon is meant is not guessed.
 */
function takeGlobal(argv: string[], name: string): string | undefined {
  const values: string[] = [];
  for (let i = 0; i < argv.length; ) {
    const arg = argv[i]!;
    if (arg === `--${name}`) {
      const value = argv[i + 1];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      argv.splice(i, 2);
      values.push(value);
    } else if (arg.startsWith(`--${name}=`)) {
      argv.splice(i, 1);
      values.push(arg.slice(name.length + 3));
    } else i += 1;
  }
  if (values.length > 1) throw new UsageError(`specify only one --${name} (got ${values.length})`);
  return values[0];
}

export async function run(argvIn: string[], io: Io): Promise<number> {
  const argv = [...argvIn];
  try {
    const socket = takeGlobal(argv, 'socket') ?? io.env.WASMNET_SOCKET ?? DEFAULT_API_SOCKET;
    const format = takeGlobal(argv, 'format') ?? 'table';
    if (format !== 'table' && format !== 'json')
      throw new UsageError(`--format must be table or json, got ${JSON.stringify(format)}`);
    const [name, ...rest] = argv;
    if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
      io.stdout(HELP);
      return name === undefined ? EXIT_USAGE : EXIT_OK;
    }
    const command = COMMANDS.find((c) => c.name === name);
    if (command === undefined) throw new UsageError(`unknown command '${name}'`);
    if (command === daemonCommand && (rest.includes('--help') || rest.includes('-h'))) {
      io.stdout(command.help);
      return EXIT_OK;
    }
    return await command.run(rest, { io, client: new ApiClient(socket), json: format === 'json' });
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`wasmnet: ${error.message}\nSee 'wasmnet --help'.\n`);
      return EXIT_USAGE;
    }
    io.stderr(`Error: ${describe(error)}\n`);
    return EXIT_FAILED;
  }
}
