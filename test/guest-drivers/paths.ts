import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the build puts the built-in drivers (dist/guest-drivers/NAME.wasm). */
export const BUILT_GUEST_DRIVERS = join(dirname(fileURLToPath(import.meta.url)), '../../guest-drivers');
