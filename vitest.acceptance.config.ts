import { defineConfig } from 'vitest/config';

/**
 * Acceptance tier: meaning-level tests on the trained demo model through the real engine (wasm). Seeded and
 * about two minutes on two cores; kept out of the unit/integration run so that one stays quick.
 */
export default defineConfig({
  test: {
    include: ['tests/acceptance/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
