#!/usr/bin/env node
// wasmnet-cni: the CNI plugin executable. The runtime passes the command in CNI_* variables and
// the network configuration on stdin; the result or the error goes to stdout. It loads only the
// plugin, the spec and the API client: a runtime starts it for every ADD and DEL.
import { readFileSync } from 'node:fs';
import { isatty } from 'node:tty';
import { runCni } from './plugin.js';

// Read at once (process.stdin would set up a stream): the runtime writes the whole configuration.
const stdin = isatty(0) ? '' : readFileSync(0, 'utf8');
const outcome = await runCni(process.env, stdin);
process.stdout.write(outcome.stdout);
process.exitCode = outcome.exitCode;
