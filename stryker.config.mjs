// Mutation testing of the engine's pure modules on the unit tier: `npm run mutate` (all four areas), or one
// area at a time, e.g. `npm run mutate -- --mutate 'src/engine/clients/io/**/*.ts'`. Slow (minutes per area on
// 2 cores), so it is not part of `npm test` / CI. Reports: reports/mutation/ (HTML and JSON, not committed).
// MUTATE_REPORT=name keeps one area's reports apart from another's (reports/mutation/name.{html,json}).
const report = process.env.MUTATE_REPORT ?? 'index';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.unit.config.ts', related: true },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: [
    'src/engine/clients/vectors/**/*.ts',
    'src/engine/clients/eval/**/*.ts',
    '!src/engine/clients/eval/packs/**',
    'src/engine/clients/io/**/*.ts',
    'src/engine/shared/f16.ts',
    // Moved out of vectors/ and eval/ (shared with the runtime): still mutated with them.
    'src/engine/shared/linalg.ts',
    'src/engine/shared/rng.ts',
  ],
  coverageAnalysis: 'perTest',
  concurrency: 1,
  // A mutant that loops forever counts as detected after this (plus 1.5 × its tests' normal time).
  timeoutMS: 10_000,
  // Static mutants (module-level constants, evaluated once at import) would need a fresh test process each:
  // about two thirds of the run time for a few percent of the mutants. They are reported as ignored.
  ignoreStatic: true,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${report}.html` },
  jsonReporter: { fileName: `reports/mutation/${report === 'index' ? 'mutation' : report}.json` },
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['dist', '.cache', 'test-results', 'public/models', 'reports', '.steer-lab-cache'],
  cleanTempDir: true,
  // Re-test only mutants whose code or covering tests changed since the last run of the same area.
  incremental: true,
};
