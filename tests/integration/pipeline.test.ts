/**
 * The persona-vector pipeline end to end on a fixture model, with the TEST-ONLY hash judge (random weights
 * never pass a real judge): run, interrupt after step 1, resume → step 1 not recomputed, and the final vectors
 * equal an uninterrupted run's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingEngine, fixtureEngine, type FixtureEngine } from '../helpers/fixtureEngine';
import { fnv1a, hashTestJudge } from '../helpers/testJudge';
import { expectProgressRules } from '../helpers/progressRules';
import { runPipeline, type PipelineSettings, type PipelineStepEvent } from '../../src/engine/clients/eval/pipeline';
import type { Judge } from '../../src/engine/clients/eval/scoring';
import { createMemoryStore } from '../../src/engine/clients/eval/cache';
import { EngineError } from '../../src/engine/shared/errors';
import { evil } from '../../src/engine/clients/eval/packs';
import type { ProgressEvent } from '../../src/engine/shared/api';

// 3 instructions × 4 questions = 12 pairs, 24 rows; permissive trait thresholds (the hash judge is meaningless),
// a coherence floor so the filter still drops some pairs.
/** The last onStep event of each step. */
const lastSteps = (events: PipelineStepEvent[]) => Object.fromEntries(events.map((e) => [e.step, e]));

/** TEST-ONLY: the hash judge, but a quarter of the prompts get no score (null). */
function nullingJudge(): Judge & { prompts: number } {
  const j = {
    id: 'TEST-ONLY-nulling-judge',
    prompts: 0,
    async scoreMany(prompts: string[]) {
      j.prompts += prompts.length;
      return prompts.map((p) => (fnv1a(p) % 4 === 0 ? null : fnv1a(p) % 101));
    },
  };
  return j;
}

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
    const fullSteps: PipelineStepEvent[] = [];
    const full = await runPipeline(engine, { pack: evil, judge: hashTestJudge(), store: createMemoryStore(), settings: SETTINGS, onStep: (e) => fullSteps.push(e) });
    expect(full.steps.generate).toEqual({ cached: false, generatedRows: 24, judged: 0 });
    expect(full.steps.score?.judged).toBe(48);
    expect(full.kept).toBeGreaterThan(1);
    expect(full.kept).toBeLessThan(12);
    expect(full.pairs.filter((p) => p.kept)).toHaveLength(full.kept);
    expect(full.vectors.meta).toMatchObject({ method: 'diff-in-means', pooling: 'response-mean', counts: { pos: full.kept, neg: full.kept }, trait: 'evil', numLayers: 4 });
    expect(full.separation?.layers).toHaveLength(4);
    expect(full.sweep?.summary.map((c) => c.coeff)).toEqual([-4, 0, 4]);
    // Live per-step progress: everything computed now, chunk by chunk, in step order; the filter names the kept pairs.
    expect(fullSteps.map((e) => e.step).filter((s, i, a) => a.indexOf(s) === i)).toEqual(['generate', 'score', 'filter', 'extract', 'sweep']);
    expect(fullSteps.filter((e) => e.step === 'generate').map((e) => e.fresh)).toEqual([0, 8, 16, 24]);
    expect(lastSteps(fullSteps)).toMatchObject({
      generate: { loaded: 24, total: 24, fresh: 24, reused: 0, done: true },
      score: { fresh: 24, reused: 0, done: true },
      filter: { loaded: 12, total: 12, fresh: 12, kept: full.kept, done: true },
      extract: { total: 2 * full.kept, fresh: 2 * full.kept, reused: 0, done: true },
      sweep: { fresh: 1, reused: 0, done: true },
    });
    for (const e of fullSteps) expect(e.fresh + e.reused).toBe(e.loaded);

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
    const resumedSteps: PipelineStepEvent[] = [];
    const resumed = await runPipeline(engine, {
      pack: evil, judge: hashTestJudge(), store, settings: SETTINGS, onProgress: (e) => resumedEvents.push(e), onStep: (e) => resumedSteps.push(e),
    });
    expect(lastSteps(resumedSteps)).toMatchObject({ generate: { fresh: 0, reused: 24, done: true }, score: { fresh: 24, reused: 0 }, extract: { fresh: 2 * full.kept, reused: 0 } });
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
    const againSteps: PipelineStepEvent[] = [];
    const again = await runPipeline(engine, { pack: evil, judge: hashTestJudge(), store, settings: SETTINGS, onStep: (e) => againSteps.push(e) });
    for (const step of ['generate', 'score', 'extract', 'sweep'] as const) {
      expect(again.steps[step]).toEqual({ cached: true, generatedRows: 0, judged: 0 });
      const e = lastSteps(againSteps)[step];
      expect(e).toMatchObject({ fresh: 0, reused: e.total, loaded: e.total, done: true });
    }
    expect(Array.from(again.vectors.vectors)).toEqual(Array.from(full.vectors.vectors));
  });

  it('without coherence judging only trait prompts are sent; unscored pairs are dropped unless kept; minPairs refuses before extraction', async () => {
    const engine = countingEngine(fx.engine);
    const store = createMemoryStore();
    const base: PipelineSettings = { ...SETTINGS, sweep: undefined, minCoherence: 101, judgeCoherence: false };
    const judge = nullingJudge();
    const strict = await runPipeline(engine, { pack: evil, judge, store, settings: base });
    // 24 answers, one trait prompt each; no coherence, so the impossible coherence floor does not apply.
    expect(judge.prompts).toBe(24);
    expect(strict.steps.score).toEqual({ cached: false, generatedRows: 0, judged: 24 });
    expect(strict.pairs.every((p) => p.posScore.coherence === null && p.negScore.coherence === null)).toBe(true);
    const answered = strict.pairs.filter((p) => p.pos.trim() !== '' && p.neg.trim() !== '');
    const scored = answered.filter((p) => p.posScore.trait !== null && p.negScore.trait !== null);
    expect(scored.length).toBeLessThan(answered.length); // the judge left some answers unscored
    expect(strict.kept).toBe(scored.length);
    expect(strict.pairs.filter((p) => p.kept)).toEqual(scored.map((p) => ({ ...p, kept: true })));

    // keepUnscored: the same generations and scores (from the store), more pairs kept, a new extraction.
    const before = engine.rows;
    const loose = await runPipeline(engine, { pack: evil, judge, store, settings: { ...base, keepUnscored: true } });
    expect(loose.steps.generate?.cached).toBe(true);
    expect(loose.steps.score?.cached).toBe(true);
    expect(judge.prompts).toBe(24);
    expect(loose.kept).toBe(answered.length);
    expect(loose.steps.extract).toEqual({ cached: false, generatedRows: 2 * loose.kept, judged: 0 });
    expect(engine.rows - before).toBe(2 * loose.kept);

    // Judging coherence again is a different score step (both prompts per answer), not the trait-only one.
    const both = await runPipeline(engine, { pack: evil, judge, store, settings: { ...base, judgeCoherence: true, minCoherence: 0, keepUnscored: true } });
    expect(both.steps.score).toEqual({ cached: false, generatedRows: 0, judged: 48 });
    expect(judge.prompts).toBe(24 + 48);
    expect(both.pairs.some((p) => p.posScore.coherence !== null)).toBe(true);

    // Too few effective pairs: refused after the filter (which reports its count), before any extraction.
    const steps: PipelineStepEvent[] = [];
    const rowsBefore = engine.rows;
    const refused = runPipeline(engine, { pack: evil, judge, store, settings: { ...base, minPairs: strict.kept + 1 }, onStep: (e) => steps.push(e) });
    await expect(refused).rejects.toThrow(`Only ${strict.kept} effective pairs of 12: extraction needs at least ${strict.kept + 1}`);
    expect(lastSteps(steps).filter).toMatchObject({ kept: strict.kept, done: true });
    expect(steps.some((e) => e.step === 'extract')).toBe(false);
    expect(engine.rows).toBe(rowsBefore);
  });

  it('refuses with a clear error when no pair is effective', async () => {
    const run = runPipeline(fx.engine, { pack: evil, judge: hashTestJudge(), store: createMemoryStore(), settings: { ...SETTINGS, sweep: undefined, posMin: 101 } });
    await expect(run).rejects.toThrow(/No effective pairs/);
  });
});
