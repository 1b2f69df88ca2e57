#!/usr/bin/env node
// The `wasmnet` command line.
const HELP = `wasmnet — a container network host whose drivers are sandboxed WebAssembly components

Usage: wasmnet <command> [options]

Commands:
  help        Show this help

Run 'wasmnet <command> --help' for more information on a command.
`;

function main(argv: string[]): number {
  const [command] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return 0;
  }
  process.stderr.write(`wasmnet: unknown command '${command}'\n\n${HELP}`);
  return 2;
}

process.exitCode = main(process.argv.slice(2));
