// The one switch for tests that need root (they create network namespaces, mount, or start
// container engines): `test('…', needsRoot, fn)` or `describe('…', needsRoot, fn)`, or
// `{ ...needsRoot, timeout }`. Without root they skip with one line; so they do as root under
// WASMNET_TEST_UNIT=1, which `npm run test:unit` sets so that it runs the same tests for everyone.
const NEEDS_ROOT = 'needs root (creates network namespaces)';

function rootSkipReason(): string | false {
  if (process.getuid?.() !== 0) return NEEDS_ROOT;
  if (process.env.WASMNET_TEST_UNIT === '1') return `${NEEDS_ROOT}; unit tests only (WASMNET_TEST_UNIT=1)`;
  return false;
}

/** Why a test that needs root skips in this process, or false where it runs. */
export const rootSkip: string | false = rootSkipReason();

/** The options of a test or suite that needs root. */
export const needsRoot: { readonly skip: string | false } = { skip: rootSkip };
