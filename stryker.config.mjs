// Mutation testing of the engine's pure modules on the unit tier: `npm run mutate` (all four areas), or one
// area at a time, e.g. `npm run mutate -- --mutate 'src/engine/io/**/*.ts'`. Slow (minutes per area on
// 2 cores), so it is not part of `npm test` / CI. Reports: reports/mutation/ (HTML and JSON, not committed).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.unit.config.ts', related: true },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: [
    'src/engine/vectors/**/*.ts',
    'src/engine/eval/**/*.ts',
    '!src/engine/eval/packs/**',
    'src/engine/io/**/*.ts',
    'src/engine/f16.ts',
  ],
  coverageAnalysis: 'perTest',
  concurrency: 1,
  timeoutMS: 30_000,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['dist', '.cache', 'test-results', 'public/models', 'reports', '.steer-lab-cache'],
  cleanTempDir: true,
};
