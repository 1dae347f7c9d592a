import { defineConfig } from 'vitest/config';

/** Browser tests: real headless Chromium (Debian's) driven by playwright-core against the built lab. */
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
