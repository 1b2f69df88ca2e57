// The SDK's own build step: copy the repository's WIT next to the SDK (so an installed SDK
// carries its contract) and regenerate the AssemblyScript bindings from it.
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { generateSdkBindings } from './gen/generate.js';
import { SDK_ROOT, SDK_WIT_DIR } from './wit/source.js';

const repositoryWit = join(SDK_ROOT, '..', 'wit');
if (existsSync(repositoryWit)) {
  rmSync(SDK_WIT_DIR, { recursive: true, force: true });
  cpSync(repositoryWit, SDK_WIT_DIR, { recursive: true });
}
generateSdkBindings();
