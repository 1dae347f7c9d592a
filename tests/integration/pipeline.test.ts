/**
 * The persona-vector pipeline end to end on a fixture model, with the TEST-ONLY hash judge (random weights
 * never pass a real judge): run, interrupt after step 1, resume → step 1 not recomputed, and the final vectors
 * equal an uninterrupted run's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingEngine, fixtureEngine, type FixtureEngine } from '../helpers/fixtureEngine';
import { hashTestJudge } from '../helpers/testJudge';
import { expectProgressRules } from '../helpers/progressRules';
import { runPipeline, type PipelineSettings } from '../../src/engine/eval/pipeline';
import { createMemoryStore } from '../../src/engine/eval/cache';
import { EngineError } from '../../src/engine/errors';
import { evil } from '../../src/engine/eval/packs';
import type { ProgressEvent } from '../../src/engine/api';

// 3 instructions × 4 questions = 12 pairs, 24 rows; permissive trait thresholds (the hash judge is meaningless),
// a coherence floor so the filter still drops some pairs.
const SETTINGS: PipelineSettings = {
  maxInstructions: 3, maxQuestions: 4, maxNewTokens: 6, batchSize: 8,
  posMin: 0, negMax: 101, minCoherence: 30,
  sweep: { coeffs: [-4, 0, 4], maxQuestions: 2, maxNewTokens: 4 },
};

describe('pipeline', () => {
  let fx: FixtureEngine;
  beforeAll(async () => { fx = await fixtureEngine({ family: 'llama' }); });
  afterAll(async () => fx?.close());

  it('an interrupted run resumes without redoing finished steps and ends with the uninterrupted vectors', async () => {
    const engine = countingEngine(fx.engine);
    const full = await runPipeline(engine, { pack: evil, judge: hashTestJudge(), store: createMemoryStore(), settings: SETTINGS });
    expect(full.steps.generate).toEqual({ cached: false, generatedRows: 24, judged: 0 });
    expect(full.steps.score?.judged).toBe(48);
    expect(full.kept).toBeGreaterThan(1);
    expect(full.kept).toBeLessThan(12);
    expect(full.pairs.filter((p) => p.kept)).toHaveLength(full.kept);
    expect(full.vectors.meta).toMatchObject({ method: 'diff-in-means', pooling: 'response-mean', counts: { pos: full.kept, neg: full.kept }, trait: 'evil', numLayers: 4 });
    expect(full.separation?.layers).toHaveLength(4);
    expect(full.sweep?.summary.map((c) => c.coeff)).toEqual([-4, 0, 4]);

    // Interrupted: abort as soon as step 1 (generate) reports done.
    const store = createMemoryStore();
    const ctrl = new AbortController();
    const events: ProgressEvent[] = [];
    const judge1 = hashTestJudge();
    const first = runPipeline(engine, {
      pack: evil, judge: judge1, store, settings: SETTINGS, signal: ctrl.signal,
      onProgress: (e) => { events.push(e); if (e.stage === 'generate' && e.done) ctrl.abort(); },
    });
    await expect(first).rejects.toSatisfy((e: unknown) => e instanceof EngineError && e.code === 'cancelled');
    expect(judge1.prompts).toBe(0);
    expectProgressRules(events.filter((e) => e.stage === 'generate'));

    // Resumed: generate comes from the store (0 rows generated), later steps run.
    const before = engine.rows;
    const resumedEvents: ProgressEvent[] = [];
    const resumed = await runPipeline(engine, { pack: evil, judge: hashTestJudge(), store, settings: SETTINGS, onProgress: (e) => resumedEvents.push(e) });
    expect(resumed.steps.generate).toEqual({ cached: true, generatedRows: 0, judged: 0 });
    expect(resumed.steps.score?.cached).toBe(false);
    expect(resumed.steps.extract).toEqual({ cached: false, generatedRows: 2 * full.kept, judged: 0 });
    expect(engine.rows - before).toBe(2 * full.kept + resumed.sweep!.generatedRows);
    expectProgressRules(resumedEvents);
    expect(resumedEvents.map((e) => e.stage).filter((s, i, a) => a.indexOf(s) === i)).toEqual(['generate', 'score', 'extract', 'sweep']);

    expect(resumed.kept).toBe(full.kept);
    expect(Array.from(resumed.vectors.vectors)).toEqual(Array.from(full.vectors.vectors));
    expect(resumed.sweep?.summary).toEqual(full.sweep?.summary);

    // A third run is entirely cached.
    const again = await runPipeline(engine, { pack: evil, judge: hashTestJudge(), store, settings: SETTINGS });
    for (const step of ['generate', 'score', 'extract', 'sweep'] as const) expect(again.steps[step]).toEqual({ cached: true, generatedRows: 0, judged: 0 });
    expect(Array.from(again.vectors.vectors)).toEqual(Array.from(full.vectors.vectors));
  });

  it('refuses with a clear error when no pair is effective', async () => {
    const run = runPipeline(fx.engine, { pack: evil, judge: hashTestJudge(), store: createMemoryStore(), settings: { ...SETTINGS, sweep: undefined, posMin: 101 } });
    await expect(run).rejects.toThrow(/No effective pairs/);
  });
});
