/**
 * The persona pipeline and coefficient sweeps on the real engine with a tiny fixture model (wasm), in the unit
 * tier so that mutation testing of src/engine/eval sees them. The judge is a TEST-ONLY scripted one: it gives
 * each answer the score the test chooses for its side (positive or negative system prompt), so the filter,
 * errors, caching and step reports have known outcomes. (End-to-end resume is in tests/integration/pipeline.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingEngine, fixtureEngine, type FixtureEngine } from '../../helpers/fixtureEngine';
import { PipelineStepError, runPipeline, type PipelineSettings, type PipelineStepEvent } from '../../../src/engine/clients/eval/pipeline';
import { runSweep, SweepScoringError } from '../../../src/engine/clients/eval/sweep';
import { createMemoryStore } from '../../../src/engine/clients/eval/cache';
import type { Judge } from '../../../src/engine/clients/eval/scoring';
import type { TraitPack } from '../../../src/engine/clients/eval/traitPack';
import { createEngine } from '../../../src/engine/core/runtime/engine';
import type { ProgressEvent } from '../../../src/engine/shared/api';
import { EngineError } from '../../../src/engine/shared/errors';

const PACK: TraitPack = {
  name: 'tiny-trait',
  description: 'test',
  instructions: [{ pos: 'Be A.', neg: 'Be B.' }, { pos: 'Act A.', neg: 'Act B.' }, { pos: 'Say A.', neg: 'Say B.' }],
  extractionQuestions: ['Q one?', 'Q two?', 'Q three?'],
  evaluationQuestions: ['E1?', 'E2?', 'E3?', 'E4?', 'E5?', 'E6?'],
  evalPrompt: 'TRAIT {question} => {answer}',
};

/**
 * TEST-ONLY judge: trait prompts (they start with "TRAIT") alternate positive / negative answers in plan order
 * (chunks start at even rows), and get `pos` / `neg`; every coherence prompt gets `coh`. Its id names the
 * scores, so the step store never hands one judge's scores to another.
 */
function sidedJudge(pos: number | null, neg: number | null, coh: number | null = 90, id = `TEST-ONLY-sided-${pos}-${neg}-${coh}`): Judge & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    id, calls,
    async scoreMany(prompts) {
      calls.push(prompts);
      let k = 0;
      return prompts.map((p) => (p.startsWith('TRAIT') ? (k++ % 2 === 0 ? pos : neg) : coh));
    },
  };
}

const BASE: PipelineSettings = { maxInstructions: 1, maxQuestions: 2, maxNewTokens: 3, batchSize: 8, judgeBatchSize: 8 };
const code = (e: unknown) => (e instanceof EngineError ? e.code : String(e));
/** The PipelineStepError a run must end with. */
async function stepError(run: Promise<unknown>): Promise<PipelineStepError> {
  const e = await run.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(PipelineStepError);
  return e as PipelineStepError;
}

describe('runPipeline on a fixture model', () => {
  let fx: FixtureEngine;
  beforeAll(async () => { fx = await fixtureEngine({ family: 'llama' }); });
  afterAll(async () => fx?.close());

  it('keeps pairs at the 50 / 49 boundary, extracts per-layer vectors from them, and reports each step', async () => {
    const engine = countingEngine(fx.engine);
    const judge = sidedJudge(50, 49, 50);
    const steps: PipelineStepEvent[] = [];
    const progress: ProgressEvent[] = [];
    const r = await runPipeline(engine, { pack: PACK, judge, store: createMemoryStore(), settings: BASE, onStep: (e) => steps.push(e), onProgress: (e) => progress.push(e) });
    // 1 instruction × 2 questions = 2 pairs = 4 rows; one generate call (batch 8).
    expect(r.pairs).toHaveLength(2);
    expect(r.pairs.map((p) => [p.instruction, p.question, p.kept])).toEqual([[0, 'Q one?', true], [0, 'Q two?', true]]);
    expect(r.pairs[0].posScore).toEqual({ trait: 50, coherence: 50 });
    expect(r.pairs[0].negScore).toEqual({ trait: 49, coherence: 50 });
    expect(r.kept).toBe(2);
    expect(r.steps.generate).toEqual({ cached: false, generatedRows: 4, judged: 0 });
    expect(r.steps.score).toEqual({ cached: false, generatedRows: 0, judged: 8 });
    expect(r.steps.extract).toEqual({ cached: false, generatedRows: 4, judged: 0 });
    expect(r.steps.sweep).toBeUndefined();
    // generate (4 rows, one call) + extract (4 conversations, one collect call)
    expect(engine.calls).toBe(2);
    expect(judge.calls).toHaveLength(1);
    expect(judge.calls[0]).toHaveLength(8);
    expect(judge.calls[0].slice(0, 4).every((p) => p.startsWith('TRAIT Q '))).toBe(true);
    const info = fx.engine.info()!;
    expect(r.vectors.meta).toMatchObject({ method: 'diff-in-means', pooling: 'response-mean', trait: 'tiny-trait', counts: { pos: 2, neg: 2 }, numLayers: info.numLayers, hiddenSize: info.hiddenSize, modelId: info.id });
    expect(r.vectors.vectors).toHaveLength(info.numLayers * info.hiddenSize);
    expect(r.separation?.layers).toHaveLength(info.numLayers);
    // Live steps in order, each ending done with everything fresh; the filter names the kept pairs.
    const last = Object.fromEntries(steps.map((e) => [e.step, e]));
    expect([...new Set(steps.map((e) => e.step))]).toEqual(['generate', 'score', 'filter', 'extract']);
    expect(last.generate).toEqual({ step: 'generate', loaded: 4, total: 4, fresh: 4, reused: 0, done: true });
    expect(last.score).toEqual({ step: 'score', loaded: 4, total: 4, fresh: 4, reused: 0, done: true });
    expect(last.filter).toEqual({ step: 'filter', loaded: 2, total: 2, fresh: 2, reused: 0, done: true, kept: 2 });
    expect(last.extract).toMatchObject({ loaded: 4, total: 4, fresh: 4, reused: 0, done: true });
    expect(steps[0]).toEqual({ step: 'generate', loaded: 0, total: 4, fresh: 0, reused: 0, done: false });
    // Progress: every stage starts at 0 and ends done at its total.
    for (const stage of ['generate', 'score', 'extract']) {
      const ev = progress.filter((e) => e.stage === stage);
      expect(ev[0]).toMatchObject({ loaded: 0, total: 4, done: false });
      expect(ev[ev.length - 1]).toMatchObject({ loaded: 4, total: 4, done: true });
    }
  });

  it('a second run with the same store recomputes nothing; another judge rescores but reuses the answers', async () => {
    const engine = countingEngine(fx.engine);
    const store = createMemoryStore();
    const first = await runPipeline(engine, { pack: PACK, judge: sidedJudge(90, 10), store, settings: BASE });
    const callsAfterFirst = engine.calls;
    const judge = sidedJudge(90, 10);
    const steps: PipelineStepEvent[] = [];
    const again = await runPipeline(engine, { pack: PACK, judge, store, settings: BASE, onStep: (e) => steps.push(e) });
    expect(engine.calls).toBe(callsAfterFirst);
    expect(judge.calls).toHaveLength(0);
    for (const s of ['generate', 'score', 'extract'] as const) expect(again.steps[s]).toEqual({ cached: true, generatedRows: 0, judged: 0 });
    expect(Array.from(again.vectors.vectors)).toEqual(Array.from(first.vectors.vectors));
    const last = Object.fromEntries(steps.map((e) => [e.step, e]));
    expect(last.generate).toMatchObject({ fresh: 0, reused: 4, done: true });
    expect(last.score).toMatchObject({ fresh: 0, reused: 4, done: true });
    expect(last.extract).toMatchObject({ fresh: 0, reused: 4, done: true });

    const other = sidedJudge(90, 10, 90, 'TEST-ONLY-other');
    const third = await runPipeline(engine, { pack: PACK, judge: other, store, settings: BASE });
    expect(third.steps.generate?.cached).toBe(true);
    expect(third.steps.score).toEqual({ cached: false, generatedRows: 0, judged: 8 });
    expect(other.calls).toHaveLength(1);
    // Same kept answers: extraction comes from the store.
    expect(third.steps.extract?.cached).toBe(true);
  });

  it('refuses when no pair is effective, or fewer than minPairs, naming the thresholds', async () => {
    const store = createMemoryStore();
    const none = runPipeline(fx.engine, { pack: PACK, judge: sidedJudge(49, 10), store, settings: BASE });
    await expect(none).rejects.toThrow('No effective pairs among 2: no positive answer scored ≥ 50 with its negative < 50 and both coherent ≥ 50. Try more questions, longer answers or lower thresholds.');
    await expect(runPipeline(fx.engine, { pack: PACK, judge: sidedJudge(90, 50), store, settings: BASE })).rejects.toSatisfy((e) => code(e) === 'bad-input');
    await expect(runPipeline(fx.engine, { pack: PACK, judge: sidedJudge(90, 10, 49), store, settings: BASE })).rejects.toThrow(/No effective pairs among 2/);
    await expect(runPipeline(fx.engine, { pack: PACK, judge: sidedJudge(90, 10), store, settings: { ...BASE, minPairs: 3 } }))
      .rejects.toThrow('Only 2 effective pairs of 2: extraction needs at least 3. Lower the thresholds or use more pairs and questions.');
    await expect(runPipeline(fx.engine, { pack: PACK, judge: sidedJudge(90, 10), store, settings: { ...BASE, minPairs: 3 } })).rejects.toSatisfy((e) => code(e) === 'bad-input');
    await expect(runPipeline(fx.engine, { pack: PACK, judge: sidedJudge(49, 10), store, settings: BASE })).rejects.toSatisfy((e) => code(e) === 'bad-input');
    await expect(runPipeline(fx.engine, { pack: PACK, judge: sidedJudge(90, 10), store, settings: { ...BASE, maxQuestions: 1, minPairs: 2 } }))
      .rejects.toThrow('Only 1 effective pair of 1:');
    // Custom thresholds are used, and named.
    await expect(runPipeline(fx.engine, { pack: PACK, judge: sidedJudge(70, 10), store, settings: { ...BASE, posMin: 71, negMax: 20, judgeCoherence: false } }))
      .rejects.toThrow('No effective pairs among 2: no positive answer scored ≥ 71 with its negative < 20. Try');
    const ok = await runPipeline(fx.engine, { pack: PACK, judge: sidedJudge(71, 19), store, settings: { ...BASE, posMin: 71, negMax: 20 } });
    expect(ok.kept).toBe(2);
  });

  it('without coherence only trait prompts are judged; unscored answers are dropped unless keepUnscored', async () => {
    const store = createMemoryStore();
    const judge = sidedJudge(90, 10, 0);
    const r = await runPipeline(fx.engine, { pack: PACK, judge, store, settings: { ...BASE, judgeCoherence: false } });
    expect(judge.calls[0]).toHaveLength(4);
    expect(judge.calls[0].every((p) => p.startsWith('TRAIT'))).toBe(true);
    expect(r.steps.score?.judged).toBe(4);
    expect(r.pairs[0].posScore).toEqual({ trait: 90, coherence: null });
    expect(r.kept).toBe(2);
    await expect(runPipeline(fx.engine, { pack: PACK, judge: sidedJudge(null, 10), store, settings: BASE })).rejects.toThrow(/No effective pairs/);
    const kept = await runPipeline(fx.engine, { pack: PACK, judge: sidedJudge(null, 10), store, settings: { ...BASE, keepUnscored: true } });
    expect(kept.kept).toBe(2);
  });

  it('chunks generation and scoring by batch size, pos and neg rows in plan order', async () => {
    const engine = countingEngine(fx.engine);
    const judge = sidedJudge(90, 10);
    const steps: PipelineStepEvent[] = [];
    const r = await runPipeline(engine, {
      pack: PACK, judge, store: createMemoryStore(), settings: { ...BASE, maxInstructions: 2, batchSize: 3, judgeBatchSize: 2 }, onStep: (e) => steps.push(e),
    });
    // 2 instructions × 2 questions = 4 pairs, 8 rows: generate in 3 calls of ≤ 3 rows; score in 4 chunks of 2 answers.
    expect(r.pairs.map((p) => [p.instruction, p.question])).toEqual([[0, 'Q one?'], [0, 'Q two?'], [1, 'Q one?'], [1, 'Q two?']]);
    expect(steps.filter((e) => e.step === 'generate').map((e) => e.loaded)).toEqual([0, 3, 6, 8]);
    expect(steps.filter((e) => e.step === 'score').map((e) => e.loaded)).toEqual([0, 2, 4, 6, 8]);
    expect(judge.calls.map((c) => c.length)).toEqual([4, 4, 4, 4]);
    expect(r.steps.generate?.generatedRows).toBe(8);
    expect(r.kept).toBe(4);
  });

  it('runs the optional sweep at the given layer, else the recommended one, else the middle layer', async () => {
    const store = createMemoryStore();
    const info = fx.engine.info()!;
    const steps: PipelineStepEvent[] = [];
    const given = await runPipeline(fx.engine, {
      pack: PACK, judge: sidedJudge(90, 10), store, settings: { ...BASE, sweep: { coeffs: [0, 2], layer: 1, maxQuestions: 1, maxNewTokens: 2 } }, onStep: (e) => steps.push(e),
    });
    expect(given.sweep?.layer).toBe(1);
    expect(given.sweep?.summary.map((s) => s.coeff)).toEqual([0, 2]);
    expect(given.sweep?.rows.map((x) => x.question)).toEqual(['E1?', 'E1?', 'E1?', 'E1?']);
    // 2 coeffs × 1 question × (vector + control) = 4 rows, each judged for trait and coherence.
    expect(given.steps.sweep).toEqual({ cached: false, generatedRows: 4, judged: 8 });
    expect(steps.filter((e) => e.step === 'sweep').at(-1)).toEqual({ step: 'sweep', loaded: 1, total: 1, fresh: 1, reused: 0, done: true });
    // Its vector is the extracted vector's row for that layer.
    const D = info.hiddenSize;
    const again = await runPipeline(fx.engine, { pack: PACK, judge: sidedJudge(90, 10), store, settings: { ...BASE, sweep: { coeffs: [0, 2], layer: 1, maxQuestions: 1, maxNewTokens: 2 } } });
    expect(again.steps.sweep).toEqual({ cached: true, generatedRows: 0, judged: 0 });
    expect(again.sweep?.vectorNorm).toBeCloseTo(Math.hypot(...given.vectors.vectors.subarray(D, 2 * D)), 4);

    const rec = await runPipeline(fx.engine, { pack: PACK, judge: sidedJudge(90, 10), store, settings: { ...BASE, sweep: { coeffs: [1], maxNewTokens: 1 } } });
    expect(rec.sweep?.layer).toBe(rec.separation!.recommendedLayer);
    // Default: five evaluation questions.
    expect(new Set(rec.sweep?.rows.map((x) => x.question))).toEqual(new Set(['E1?', 'E2?', 'E3?', 'E4?', 'E5?']));
    // One kept pair: no separation, so the middle layer.
    const one = await runPipeline(fx.engine, { pack: PACK, judge: sidedJudge(90, 10), store, settings: { ...BASE, maxQuestions: 1, sweep: { coeffs: [1], maxQuestions: 1, maxNewTokens: 1 } } });
    expect(one.separation).toBeNull();
    expect(one.sweep?.layer).toBe(Math.floor(info.numLayers / 2));
  });

  it('a step that fails keeps every pair computed before it, with the error', async () => {
    const store = createMemoryStore();
    // Scoring: a judge that answers its first chunk and then fails. 2 pairs, judge chunks of 2 answers (= 1 pair).
    const first = sidedJudge(90, 10, 80, 'TEST-ONLY-fails-second');
    const failing: Judge = {
      id: first.id,
      async scoreMany(prompts) {
        if (first.calls.length === 1) throw new EngineError('load-failed', 'The judge server did not answer.');
        return first.scoreMany(prompts);
      },
    };
    const settings = { ...BASE, judgeBatchSize: 2 };
    const e = await stepError(runPipeline(fx.engine, { pack: PACK, judge: failing, store, settings }));
    expect(e.code).toBe('load-failed');
    expect(e.message).toBe('The judge server did not answer. (The score step failed; the 2 pairs computed before it are kept.)');
    expect(e.partial.step).toBe('score');
    expect(e.partial.steps).toEqual({ generate: { cached: false, generatedRows: 4, judged: 0 }, score: { cached: false, generatedRows: 0, judged: 4 } });
    expect(e.partial.vectors).toBeUndefined();
    // The same answers a resumed run takes from the store (generation is not repeated), scores where judged.
    const resumed = await runPipeline(fx.engine, { pack: PACK, judge: sidedJudge(90, 10, 80, 'TEST-ONLY-fails-second'), store, settings });
    expect(resumed.steps.generate).toEqual({ cached: true, generatedRows: 0, judged: 0 });
    expect(resumed.steps.score).toEqual({ cached: false, generatedRows: 0, judged: 4 });
    expect(e.partial.pairs).toStrictEqual([
      { instruction: 0, question: 'Q one?', pos: resumed.pairs[0].pos, neg: resumed.pairs[0].neg, posScore: { trait: 90, coherence: 80 }, negScore: { trait: 10, coherence: 80 } },
      { instruction: 0, question: 'Q two?', pos: resumed.pairs[1].pos, neg: resumed.pairs[1].neg },
    ]);

    // Generation: the second generate call fails; the first call's pair (batch of 2 rows) is kept, unscored.
    const inner = fx.engine;
    let calls = 0;
    const flaky = { ...countingEngine(inner), generate: (req: Parameters<typeof inner.generate>[0], call?: Parameters<typeof inner.generate>[1]) => {
      if (++calls === 2) return Promise.reject(new Error('device lost'));
      return inner.generate(req, call);
    } };
    const gen = await stepError(runPipeline(flaky, { pack: PACK, judge: sidedJudge(90, 10), store: createMemoryStore(), settings: { ...BASE, batchSize: 2 } }));
    expect(gen.code).toBe('internal');
    expect(gen.detail).toBe('device lost');
    expect(gen.message).toMatch(/\(The generate step failed; the 1 pair computed before it is kept\.\)$/);
    expect(gen.partial.step).toBe('generate');
    expect(gen.partial.pairs).toStrictEqual([{ instruction: 0, question: 'Q one?', pos: resumed.pairs[0].pos, neg: resumed.pairs[0].neg }]);
    expect(gen.partial.steps).toEqual({ generate: { cached: false, generatedRows: 2, judged: 0 } });

    // Odd chunk sizes: a pair whose negative row (or negative score) was not reached is left out (or unscored).
    calls = 0;
    const odd = await stepError(runPipeline(flaky, { pack: PACK, judge: sidedJudge(90, 10), store: createMemoryStore(), settings: { ...BASE, batchSize: 3 } }));
    expect(odd.partial.pairs).toHaveLength(1);
    const third = sidedJudge(90, 10, 80, 'TEST-ONLY-fails-second-odd');
    const failingOdd: Judge = { id: third.id, async scoreMany(prompts) { if (third.calls.length === 1) throw new Error('judge crashed'); return third.scoreMany(prompts); } };
    const half = await stepError(runPipeline(fx.engine, { pack: PACK, judge: failingOdd, store, settings: { ...settings, judgeBatchSize: 3 } }));
    expect(half.partial.pairs.map((p) => p.posScore)).toStrictEqual([{ trait: 90, coherence: 80 }, undefined]);
    expect(half.partial.pairs[1]).not.toHaveProperty('posScore');

    // Filter: every pair comes back scored and marked dropped.
    const none = await stepError(runPipeline(fx.engine, { pack: PACK, judge: sidedJudge(49, 10), store, settings }));
    expect(none.code).toBe('bad-input');
    expect(none.partial.step).toBe('filter');
    expect(none.partial.pairs.map((p) => [p.question, p.posScore?.trait, p.negScore?.trait, p.kept])).toEqual([['Q one?', 49, 10, false], ['Q two?', 49, 10, false]]);

    // Sweep scoring: the extracted vectors and the sweep's unscored answers come back.
    const sweepFails: Judge = {
      id: 'TEST-ONLY-sweep-fails',
      async scoreMany(prompts) {
        if (prompts.some((p) => p.includes('E1?'))) throw new EngineError('internal', 'Judge crashed.');
        return sidedJudge(90, 10).scoreMany(prompts);
      },
    };
    const sw = await stepError(runPipeline(fx.engine, { pack: PACK, judge: sweepFails, store, settings: { ...BASE, sweep: { coeffs: [0, 2], layer: 1, maxQuestions: 1, maxNewTokens: 2 } } }));
    expect(sw.partial.step).toBe('sweep');
    expect(sw.partial.pairs.map((p) => p.kept)).toEqual([true, true]);
    expect(sw.partial.vectors?.vectors).toHaveLength(fx.engine.info()!.numLayers * fx.engine.info()!.hiddenSize);
    expect(sw.partial.separation?.layers).toHaveLength(fx.engine.info()!.numLayers);
    expect(sw.partial.sweep?.rows.map((r) => [r.coeff, r.control, r.trait])).toEqual([[0, false, null], [2, false, null], [0, true, null], [2, true, null]]);
  });

  it('stops with "cancelled" when aborted, and needs a loaded model', async () => {
    const ctrl = new AbortController();
    ctrl.abort();
    await expect(runPipeline(fx.engine, { pack: PACK, judge: sidedJudge(90, 10), store: createMemoryStore(), settings: BASE, signal: ctrl.signal }))
      .rejects.toSatisfy((e) => code(e) === 'cancelled');
    const ctrl2 = new AbortController();
    const judge = sidedJudge(90, 10);
    await expect(runPipeline(fx.engine, {
      pack: PACK, judge, store: createMemoryStore(), settings: BASE, signal: ctrl2.signal,
      onProgress: (e) => { if (e.stage === 'score' && e.done) ctrl2.abort(); },
    })).rejects.toSatisfy((e) => code(e) === 'cancelled' && !(e instanceof PipelineStepError));
    await expect(runPipeline(createEngine(), { pack: PACK, judge, store: createMemoryStore() })).rejects.toThrow('Load a model before running the pipeline.');
    await expect(runPipeline(createEngine(), { pack: PACK, judge, store: createMemoryStore() })).rejects.toSatisfy((e) => code(e) === 'not-loaded' && !(e instanceof PipelineStepError));
  });
});

describe('runSweep on a fixture model', () => {
  let fx: FixtureEngine;
  beforeAll(async () => { fx = await fixtureEngine({ family: 'qwen2' }); });
  afterAll(async () => fx?.close());
  const vec = (D: number) => Float32Array.from({ length: D }, (_, i) => Math.cos(i));

  it('batches rows, sorts and dedupes coefficients, and scores only with a judge', async () => {
    const engine = countingEngine(fx.engine);
    const D = fx.engine.info()!.hiddenSize;
    const progress: ProgressEvent[] = [];
    const r = await runSweep(engine, { vector: vec(D), layer: 1, coeffs: [4, -4, 4], questions: ['a?', 'b?'], maxNewTokens: 2, batchSize: 3, onProgress: (e) => progress.push(e) });
    // 2 distinct coeffs × 2 questions × 2 (vector, control) = 8 rows in calls of ≤ 3.
    expect(engine.calls).toBe(3);
    expect(r.generateCalls).toBe(3);
    expect(r.generatedRows).toBe(8);
    expect(r.coeffs).toEqual([4, -4, 4]);
    expect(r.layer).toBe(1);
    expect(r.summary.map((s) => s.coeff)).toEqual([-4, 4]);
    expect(r.rows.map((x) => [x.coeff, x.question, x.control])).toEqual([
      [4, 'a?', false], [4, 'b?', false], [-4, 'a?', false], [-4, 'b?', false], [4, 'a?', true], [4, 'b?', true], [-4, 'a?', true], [-4, 'b?', true],
    ]);
    for (const s of r.summary) {
      expect(s.trait).toBeNull();
      expect(s.coherence).toBeNull();
      expect(s.projection.n).toBe(2);
      expect(s.control?.projection.n).toBe(2);
    }
    expect(r.rows.every((x) => x.trait === null && x.coherence === null)).toBe(true);
    expect(r.vectorNorm).toBeCloseTo(Math.hypot(...vec(D)), 5);
    expect(progress.map((e) => [e.stage, e.loaded, e.total, e.done])).toEqual([['sweep', 0, 8, false], ['sweep', 3, 8, false], ['sweep', 6, 8, false], ['sweep', 8, 8, true]]);
  });

  it('scores trait and coherence through the judge, and leaves out the control on request', async () => {
    const engine = countingEngine(fx.engine);
    const D = fx.engine.info()!.hiddenSize;
    const judge = sidedJudge(70, 70, 40);
    const progress: ProgressEvent[] = [];
    const r = await runSweep(engine, {
      vector: vec(D), layer: 0, coeffs: [0, 8], questions: ['a?'], maxNewTokens: 2, control: false, judge, traitTemplate: 'TRAIT {question} => {answer}',
      system: 'Be terse.', stage: 'my-sweep', onProgress: (e) => progress.push(e),
    });
    expect(r.rows).toHaveLength(2);
    expect(r.summary.every((s) => s.control === undefined)).toBe(true);
    expect(r.summary[1].trait).toMatchObject({ n: 1, mean: 70, unscored: 0 });
    expect(r.summary[1].coherence).toMatchObject({ n: 1, mean: 40 });
    expect(judge.calls[0]).toHaveLength(4);
    expect(progress.at(-1)).toEqual({ stage: 'my-sweep', loaded: 2, total: 2, done: true, detail: 'scored' });
    expect(progress.filter((e) => e.done)).toHaveLength(1);
    // Coefficient 0 steers nothing: same text as a plain generation with the system prompt.
    const plain = await fx.engine.generate({ rows: [{ prompt: [{ role: 'system', content: 'Be terse.' }, { role: 'user', content: 'a?' }] }], maxNewTokens: 2 });
    expect(r.rows[0].answer).toBe(plain.text[0].trim());
  });

  it('a judge that fails keeps the generated answers and projections; a cancelled judge is a plain cancellation', async () => {
    const D = fx.engine.info()!.hiddenSize;
    const base = { vector: vec(D), layer: 1, coeffs: [2, 0], questions: ['a?'], maxNewTokens: 2, traitTemplate: 'TRAIT {question} => {answer}' };
    const down: Judge = { id: 'TEST-ONLY-down', async scoreMany() { throw new EngineError('load-failed', 'The judge is down.'); } };
    const err = await runSweep(fx.engine, { ...base, judge: down }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(SweepScoringError);
    const e = err as SweepScoringError;
    expect(e.code).toBe('load-failed');
    expect(e.message).toBe('The judge is down. The 4 generated answers and their projections are kept; only the scores are missing.');
    const plain = await runSweep(fx.engine, base);
    expect(e.partial.rows).toEqual(plain.rows);
    expect(e.partial.summary).toEqual(plain.summary);
    expect(e.partial.summary.every((x) => x.trait === null && x.coherence === null && x.projection.n === 1)).toBe(true);
    const stop: Judge = { id: 'TEST-ONLY-stop', async scoreMany() { throw new EngineError('cancelled', 'stopped'); } };
    const c = await runSweep(fx.engine, { ...base, judge: stop }).then(() => null, (x: unknown) => x);
    expect(c).not.toBeInstanceOf(SweepScoringError);
    expect(code(c)).toBe('cancelled');
  });

  it('batches 32 rows by default, at most 64, at least 1', async () => {
    const D = fx.engine.info()!.hiddenSize;
    const questions = Array.from({ length: 65 }, (_, i) => `q${i}?`);
    const base = { vector: vec(D), layer: 0, coeffs: [1], questions, maxNewTokens: 1, control: false };
    const calls = async (batchSize?: number, n = 33): Promise<number[]> => {
      const sizes: number[] = [];
      const inner = fx.engine;
      const spy = { ...countingEngine(inner), generate: (req: Parameters<typeof inner.generate>[0], call?: Parameters<typeof inner.generate>[1]) => { sizes.push(req.rows.length); return inner.generate(req, call); } };
      await runSweep(spy, { ...base, questions: questions.slice(0, n), batchSize });
      return sizes;
    };
    expect(await calls()).toEqual([32, 1]);
    expect(await calls(0, 2)).toEqual([1, 1]);
    expect(await calls(100, 65)).toEqual([64, 1]);
  });

  it('refuses what it cannot run', async () => {
    const D = fx.engine.info()!.hiddenSize;
    const base = { vector: vec(D), layer: 0, coeffs: [1], questions: ['a?'], maxNewTokens: 1 };
    await expect(runSweep(fx.engine, { ...base, coeffs: [] })).rejects.toThrow('A sweep needs at least one coefficient and one question.');
    for (const bad of [{ coeffs: [] }, { vector: vec(D + 1) }, { judge: sidedJudge(1, 1) }]) {
      await expect(runSweep(fx.engine, { ...base, ...bad })).rejects.toSatisfy((e) => code(e) === 'bad-input');
    }
    await expect(runSweep(fx.engine, { ...base, questions: [] })).rejects.toThrow(/at least one coefficient/);
    await expect(runSweep(fx.engine, { ...base, vector: vec(D + 1) })).rejects.toThrow(`The vector has ${D + 1} values; this model's hidden size is ${D}.`);
    await expect(runSweep(fx.engine, { ...base, judge: sidedJudge(1, 1) })).rejects.toThrow('Scoring a sweep needs the trait judge template.');
    const ctrl = new AbortController();
    ctrl.abort();
    await expect(runSweep(fx.engine, { ...base, signal: ctrl.signal })).rejects.toSatisfy((e) => code(e) === 'cancelled');
    await expect(runSweep(createEngine(), base)).rejects.toSatisfy((e) => code(e) === 'not-loaded');
  });
});
