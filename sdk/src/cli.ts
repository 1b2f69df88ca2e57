#!/usr/bin/env node
// `wasmnet-sdk`: init, build, test. Filled in by the SDK work.
process.stdout.write('usage: wasmnet-sdk <init|build|test>\n');
