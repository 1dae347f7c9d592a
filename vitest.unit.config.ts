import { defineConfig } from 'vitest/config';

/** The unit tier alone (no integration, no e2e): what `npm run mutate` runs against each mutant. */
export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts'],
    exclude: ['node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
