/**
 * Acceptance: on the trained demo model, through the real engine (written by the project's writers, loaded
 * from a hub folder, onnxruntime-web wasm), a vector built by the project's own pipeline steers behaviour.
 * The judge is the lexical one with the scripture pack's markers; every sample is seeded, so the numbers
 * below are exactly reproducible on this platform and the thresholds are margins for drift (another
 * onnxruntime build, a retrained model), set from the measurements quoted next to each (4 seeds × 10
 * evaluation questions = 40 answers per cell; tests/acceptance/measure.ts prints them all).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/api';
import type { PipelineResult } from '../../src/engine/eval/pipeline';
import { randomDirectionLike } from '../../src/engine/eval/stats';
import { detectConditions } from '../../src/engine/vectors/detection';
import { PACK, addAt, demoEngine, layerVector, norm, scoreUnder, scripturePipeline, sweepMeans, type DemoEngine, type SweepMean } from './demo';

const SEEDS = [1, 2, 3, 4];
const QUESTIONS = PACK.evaluationQuestions;
const SYSTEM = PACK.instructions[0].pos; // "Answer in the style of the King James Bible."
const COEFFS = [0, 0.75, 1, 2];

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
    // Measured: 22 of 32 pairs kept (scripture answers score ≥ 50 about two times in three, plain ones 0).
    expect(r.kept).toBeGreaterThanOrEqual(12);
    const D = engine.info()!.hiddenSize;
    for (let l = 0; l < engine.info()!.numLayers; l++) expect(norm(layerVector(r, l, D)), `layer ${l}`).toBeGreaterThan(1);
  });

  it('steering at the recommended layer raises the score monotonically with the coefficient', () => {
    // Measured at layer 2: 0.9, 21.7, 51.8, 67.2 for c = 0, 0.75, 1, 2 (smallest step 15.4).
    const t = sweep.map((m) => m.trait);
    for (let i = 1; i < t.length; i++) expect(t[i] - t[i - 1], `c=${COEFFS[i - 1]} → c=${COEFFS[i]}`).toBeGreaterThan(5);
  });

  it('the recommended layer is one where steering works: the full vector (c = 1) moves the plain answer into the register', () => {
    // Measured +51 points at c = 1 over the unsteered 0.9; the prompted style itself scores 47.
    expect(sweep[2].trait - sweep[0].trait).toBeGreaterThan(30);
    expect(sweep[2].trait).toBeGreaterThan(0.6 * prompted);
  });

  it('the projection of response activations rises with the coefficient, also re-read from the text alone', () => {
    // While steering (measured 0.27, 8.0, 10.9, 22.1) the added c·v shows directly (|v| ≈ 10); re-read with no
    // steering, the steered answers themselves carry the direction (measured 0.26, 0.49, 0.95, 2.12).
    for (let i = 1; i < sweep.length; i++) {
      expect(sweep[i].projection, `steered c=${COEFFS[i]}`).toBeGreaterThan(sweep[i - 1].projection);
      expect(sweep[i].reread, `re-read c=${COEFFS[i]}`).toBeGreaterThan(sweep[i - 1].reread);
    }
    expect(sweep[3].reread - sweep[0].reread).toBeGreaterThan(1);
  });

  it('a negative coefficient lowers the prompted style\'s score', async () => {
    // The plain answer already scores ~0, so the negative push is tested where the style is on: with the
    // scripture system prompt (measured 47.2). At c = −1.5 (positions all) it falls to 17.2; at −1 it does not
    // move yet (50.0), and at −1.5 the text also degrades: the lexical judge sees only the markers going.
    const neg = await scoreUnder(engine, { questions: QUESTIONS, seeds: SEEDS, system: SYSTEM, steering: addAt(layer, vector, -1.5) });
    expect(prompted - neg.mean).toBeGreaterThan(15);
  });

  it('ablating the direction lowers the prompted style\'s score, and a random direction does not', async () => {
    // Measured with strength 1 (the direction removed) at the recommended layer: 47.2 → 34.2; a random direction
    // of the same layer: 55.8 (noise around the prompted score, upwards here).
    const ablated = await scoreUnder(engine, { questions: QUESTIONS, seeds: SEEDS, system: SYSTEM, steering: [{ layer, direction: vector, ablate: 1 }] });
    const random = await scoreUnder(engine, { questions: QUESTIONS, seeds: SEEDS, system: SYSTEM, steering: [{ layer, direction: randomDirectionLike(vector, 7), ablate: 1 }] });
    expect(prompted - ablated.mean).toBeGreaterThan(8);
    expect(random.mean - ablated.mean).toBeGreaterThan(12);
  });

  it('detection tells the two system prompts apart (AUROC ≥ 0.95 at the best layer)', async () => {
    // Last-token activations, scripture vs plain system prompts over all 18 pack questions. Measured 1.000 at
    // every layer, in-sample and for the held-out probe.
    const qs = [...PACK.extractionQuestions, ...PACK.evaluationQuestions];
    const pos = PACK.instructions.map((p) => p.pos);
    const neg = PACK.instructions.map((p) => p.neg);
    const det = await detectConditions(engine, qs.map((q, i) => ({ system: pos[i % pos.length], user: q })), qs.map((q, i) => ({ system: neg[i % neg.length], user: q })));
    const best = det.layers[det.recommendedLayer];
    expect(best.probeHeldOutAuroc).toBeGreaterThanOrEqual(0.95);
    expect(best.scoreAuroc).toBeGreaterThanOrEqual(0.95);
  });
});
