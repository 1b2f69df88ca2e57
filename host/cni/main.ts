#!/usr/bin/env node
// wasmnet-cni: the CNI plugin executable. The runtime passes the command in CNI_* variables and
// the network configuration on stdin; the result or the error goes to stdout.
import { runCni } from './plugin.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

const outcome = await runCni(process.env, await readStdin());
process.stdout.write(outcome.stdout);
process.exitCode = outcome.exitCode;
