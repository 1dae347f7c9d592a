import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files that load a model (the fixture engine or onnxruntime) run after the plain unit tests. Under mutation
 * testing most mutants then fail a fast test first and never pay for a model load (vitest's default order puts
 * the slowest files first).
 */
const heavy = (s: TestSpecification): number => (/\.engine\.test\.ts$|\/tests\/unit\/fixtures\//.test(s.moduleId) ? 1 : 0);
class CheapFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    return [...files].sort((a, b) => heavy(a) - heavy(b) || (a.moduleId < b.moduleId ? -1 : a.moduleId > b.moduleId ? 1 : 0));
  }
}

/** The unit tier alone (no integration, no e2e): what `npm run mutate` runs against each mutant. */
export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts'],
    // MUTATE_LIGHT=1 leaves out the model-loading files (fixture engine, onnxruntime): for mutating pure modules
    // whose own unit tests are the intended killers, it keeps each surviving mutant from costing model loads.
    // It can only lower a mutation score, never raise it.
    exclude: ['node_modules/**', ...(process.env.MUTATE_LIGHT ? ['tests/unit/**/*.engine.test.ts', 'tests/unit/fixtures/**'] : [])],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    sequence: { sequencer: CheapFirst },
  },
});
