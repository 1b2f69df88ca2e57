// Driver projects outside the repository that reach this checkout's SDK as asc resolves packages.
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SDK_ROOT } from '@wasmnet/sdk';

/** Links `projectDir`/node_modules/@wasmnet/sdk to the SDK (once). */
export function linkSdk(projectDir: string): void {
  const link = join(projectDir, 'node_modules', '@wasmnet', 'sdk');
  if (existsSync(link)) return;
  mkdirSync(dirname(link), { recursive: true });
  symlinkSync(SDK_ROOT, link);
}
