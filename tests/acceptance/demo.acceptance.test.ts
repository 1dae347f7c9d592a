/**
 * Acceptance: on the trained demo model, through the real engine (written by the project's writers, loaded
 * from a hub folder, onnxruntime-web wasm), a vector built by the project's own pipeline steers behaviour.
 * The judge is the lexical one with the scripture pack's markers; every sample is seeded, so the numbers
 * below are exactly reproducible on this platform and the thresholds are margins for drift (another
 * onnxruntime build, a retrained model), set from the measurements quoted next to each (4 seeds × 10
 * evaluation questions = 40 answers per cell; tests/acceptance/measure.ts prints them all).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/shared/api';
import type { PipelineResult } from '../../src/engine/clients/eval/pipeline';
import { randomDirectionLike } from '../../src/engine/clients/eval/stats';
import { detectConditions } from '../../src/engine/clients/vectors/detection';
import { splitPrompts } from '../../src/app/quickContrast';
import { initialState } from '../../src/app/store';
import { lexicalScore } from '../../src/engine/clients/eval/lexicalJudge';
import { LEXICON, PACK, addAt, demoEngine, layerVector, norm, quickContrastVector, scoreUnder, scripturePipeline, sweepMeans, type DemoEngine, type SweepMean } from './demo';

const SEEDS = [1, 2, 3, 4];
const QUESTIONS = PACK.evaluationQuestions;
const SYSTEM = PACK.instructions[0].pos; // "Answer in the style of the King James Bible."
const COEFFS = [0, 1, 1.5, 2];

describe('demo model: the pipeline\'s scripture vector means something', () => {
  let demo: DemoEngine;
  let engine: Engine;
  let r: PipelineResult;
  let layer: number;
  let vector: Float32Array;
  let sweep: SweepMean[];
  let prompted: number;

  beforeAll(async () => {
    demo = await demoEngine();
    engine = demo.engine;
    r = await scripturePipeline(engine);
    layer = r.separation!.recommendedLayer;
    vector = layerVector(r, layer, engine.info()!.hiddenSize);
    sweep = await sweepMeans(engine, { vector, layer, coeffs: COEFFS, questions: QUESTIONS, seeds: SEEDS });
    prompted = (await scoreUnder(engine, { questions: QUESTIONS, seeds: SEEDS, system: SYSTEM })).mean;
  });
  afterAll(async () => { await demo?.close(); });

  it('the trait pipeline keeps effective pairs and yields a vector at every layer', () => {
    // Measured: 25 of 32 pairs kept (scripture answers score ≥ 50 about three times in four, plain ones 0).
    expect(r.kept).toBeGreaterThanOrEqual(12);
    const D = engine.info()!.hiddenSize;
    for (let l = 0; l < engine.info()!.numLayers; l++) expect(norm(layerVector(r, l, D)), `layer ${l}`).toBeGreaterThan(1);
  });

  it('steering at the recommended layer raises the score monotonically with the coefficient', () => {
    // Measured at layer 2: 0.0, 37.0, 61.7, 67.2 for c = 0, 1, 1.5, 2 (smallest step 5.5; the score saturates
    // near 2, where greedy text turns repetitive). Each step must rise, and the whole range by most of the scale.
    const t = sweep.map((m) => m.trait);
    for (let i = 1; i < t.length; i++) expect(t[i] - t[i - 1], `c=${COEFFS[i - 1]} → c=${COEFFS[i]}`).toBeGreaterThan(2);
    expect(t[t.length - 1] - t[0]).toBeGreaterThan(50);
  });

  it('the recommended layer is one where steering works: c = 1.5 reaches the prompted style', () => {
    // Measured 61.7 at c = 1.5 from the unsteered 0.0; the scripture system prompt itself scores 55.2.
    expect(sweep[2].trait - sweep[0].trait).toBeGreaterThan(40);
    expect(sweep[2].trait).toBeGreaterThan(0.8 * prompted);
  });

  it('the projection of response activations rises with the coefficient, also re-read from the text alone', () => {
    // While steering (measured −0.35, 9.87, 15.2, 20.6) the added c·v shows directly (|v| ≈ 9.3); re-read with no
    // steering, the steered answers themselves carry the direction (measured −0.33, 0.56, 1.31, 2.03).
    for (let i = 1; i < sweep.length; i++) {
      expect(sweep[i].projection, `steered c=${COEFFS[i]}`).toBeGreaterThan(sweep[i - 1].projection);
      expect(sweep[i].reread, `re-read c=${COEFFS[i]}`).toBeGreaterThan(sweep[i - 1].reread);
    }
    expect(sweep[3].reread - sweep[0].reread).toBeGreaterThan(1);
  });

  it('a negative coefficient lowers the prompted style\'s score', async () => {
    // The plain answer already scores 0, so the negative push is tested where the style is on: with the
    // scripture system prompt (measured 55.2). At c = −1 (positions all) it falls to 27.4.
    const neg = await scoreUnder(engine, { questions: QUESTIONS, seeds: SEEDS, system: SYSTEM, steering: addAt(layer, vector, -1) });
    expect(prompted - neg.mean).toBeGreaterThan(12);
  });

  it('ablating the direction lowers the prompted style\'s score, and random directions do not', async () => {
    // Each layer's direction removed at that layer (strength 1), as directional ablation is usually done: measured
    // 55.2 → 26.1. Random directions of the same layers: 80.7 (they push the other way here, measured at every
    // strength tried). At the recommended layer alone, strength 1 barely moves it (52.7); 1.5 does (22.7).
    const every = [...Array(engine.info()!.numLayers).keys()];
    const D = engine.info()!.hiddenSize;
    const ablate = (dir: (l: number) => Float32Array) => scoreUnder(engine, { questions: QUESTIONS, seeds: SEEDS, system: SYSTEM, steering: every.map((l) => ({ layer: l, direction: dir(l), ablate: 1 })) });
    const ablated = await ablate((l) => layerVector(r, l, D));
    const random = await ablate((l) => randomDirectionLike(layerVector(r, l, D), 7));
    expect(prompted - ablated.mean).toBeGreaterThan(15);
    expect(random.mean - ablated.mean).toBeGreaterThan(30);
  });

  it('the lab\'s default quick contrast (user-text lines) steers the default prompt into the register', async () => {
    // The Steer view's first experience: the default archaic and plain lines, averaged over the user's tokens,
    // at the layer the lab auto-selects (layer 1, measured). Sampled over the evaluation questions: 0.0 → 84.1
    // at c = 2; greedy on the lab's default prompt and system prompt: 0 → 100 ("… unto the LORD, … thy God").
    const q = await quickContrastVector(engine, splitPrompts(initialState.contrastPos), splitPrompts(initialState.contrastNeg));
    const base = await scoreUnder(engine, { questions: QUESTIONS, seeds: SEEDS, system: initialState.systemPrompt });
    const steered = await scoreUnder(engine, { questions: QUESTIONS, seeds: SEEDS, system: initialState.systemPrompt, steering: addAt(q.layer, q.vector, 2) });
    expect(steered.mean - base.mean).toBeGreaterThan(50);
    const greedy = await engine.generate({
      rows: [0, 2].map((c) => ({ prompt: [{ role: 'system' as const, content: initialState.systemPrompt }, { role: 'user' as const, content: initialState.prompt }], steering: addAt(q.layer, q.vector, c) })),
      maxNewTokens: initialState.maxTokens, sampling: { temperature: 0 },
    });
    expect(lexicalScore(greedy.text[0], LEXICON)).toBeLessThan(10);
    expect(lexicalScore(greedy.text[1], LEXICON)).toBeGreaterThan(50);
  });

  it('detection tells the two system prompts apart (AUROC ≥ 0.95 at the best layer)', async () => {
    // Last-token activations, scripture vs plain system prompts over all 18 pack questions. Measured 1.000 at
    // every layer, in-sample and for the held-out probe (the system prompt is in every token's context).
    const qs = [...PACK.extractionQuestions, ...PACK.evaluationQuestions];
    const pos = PACK.instructions.map((p) => p.pos);
    const neg = PACK.instructions.map((p) => p.neg);
    const det = await detectConditions(engine, qs.map((q, i) => ({ system: pos[i % pos.length], user: q })), qs.map((q, i) => ({ system: neg[i % neg.length], user: q })));
    const best = det.layers[det.recommendedLayer];
    expect(best.probeHeldOutAuroc).toBeGreaterThanOrEqual(0.95);
    expect(best.scoreAuroc).toBeGreaterThanOrEqual(0.95);
  });
});
