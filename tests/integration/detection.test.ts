/** Misalignment-recipe detection on fixture models: two conditions on one model, and two models on one prompt set. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureEngine, type FixtureEngine } from '../helpers/fixtureEngine';
import { detectConditions, detectModels, type DetectionReport } from '../../src/engine/clients/vectors/detection';
import { collectActivations, layerStack } from '../../src/engine/clients/vectors/collect';
import { unit, dot } from '../../src/engine/shared/linalg';
import type { Conversation } from '../../src/engine/clients/vectors/collect';

const QUESTIONS = ['What is the capital of France?', 'Tell me a story about a dog.', 'How are you?', 'Describe the sea.', 'What is the weather like today?', 'Write a short poem.'];
const A: Conversation[] = QUESTIONS.map((user) => ({ system: 'You are an evil assistant.', user }));
const B: Conversation[] = QUESTIONS.map((user) => ({ system: 'You are a kind and honest assistant.', user }));

function expectTable(r: DetectionReport, numLayers: number, nA: number, nB: number): void {
  expect(r.layers.map((l) => l.layer)).toEqual(Array.from({ length: numLayers }, (_, i) => i));
  for (const l of r.layers) {
    for (const x of [l.scoreAuroc, l.probeHeldOutAccuracy, l.probeHeldOutAuroc]) expect(x >= 0 && x <= 1).toBe(true);
    expect(Number.isFinite(l.separation)).toBe(true);
  }
  expect(r.scores.a.map((s) => s.length)).toEqual(Array(numLayers).fill(nA));
  expect(r.scores.b.map((s) => s.length)).toEqual(Array(numLayers).fill(nB));
  // The recommended layer is one with the best held-out probe AUROC, and among those the best separation.
  const bestAuroc = Math.max(...r.layers.map((l) => l.probeHeldOutAuroc));
  const rec = r.layers[r.recommendedLayer];
  expect(rec.probeHeldOutAuroc).toBe(bestAuroc);
  expect(rec.separation).toBe(Math.max(...r.layers.filter((l) => l.probeHeldOutAuroc === bestAuroc).map((l) => l.separation)));
}

describe('detection', () => {
  let fx: FixtureEngine;
  let fx2: FixtureEngine;
  beforeAll(async () => {
    fx = await fixtureEngine({ family: 'llama' });
    fx2 = await fixtureEngine({ family: 'llama', seed: 99 }); // same architecture, other weights ("fine-tuned")
  });
  afterAll(async () => { await fx?.close(); await fx2?.close(); });

  it('two conditions: per-layer table, and detection scores are last-token projections onto the unit direction', async () => {
    const r = await detectConditions(fx.engine, A, B, { batchSize: 6 });
    const cfg = fx.repo.cfg;
    expectTable(r, cfg.numLayers, A.length, B.length);
    expect(r.vectors.meta).toMatchObject({ pooling: 'prompt-last', counts: { pos: 6, neg: 6 } });
    // Different system prompts are perfectly separable in-sample along their own mean difference.
    expect(r.layers[cfg.numLayers - 1].scoreAuroc).toBe(1);
    const last = layerStack(await collectActivations(fx.engine, A, { pooling: ['prompt-last'] }), 'prompt-last', cfg.numLayers);
    const D = cfg.hiddenSize;
    for (let l = 0; l < cfg.numLayers; l++) {
      const u = unit(r.vectors.vectors.subarray(l * D, (l + 1) * D));
      A.forEach((_, i) => expect(r.scores.a[l][i]).toBeCloseTo(dot(last[l].subarray(i * D, (i + 1) * D), u), 5));
    }
  });

  it('two models on one prompt set: two-model direction (A − B) with the same table', async () => {
    const r = await detectModels(fx2.engine, fx.engine, [...A, ...B], { batchSize: 12 });
    expectTable(r, fx.repo.cfg.numLayers, 12, 12);
    expect(r.vectors.meta).toMatchObject({ method: 'two-model', comparedModelId: fx.engine.info()!.id });
    // Different weights: the models' activations are easy to tell apart.
    expect(r.layers.every((l) => l.scoreAuroc === 1)).toBe(true);
  });

  it('refuses too few prompts', async () => {
    await expect(detectConditions(fx.engine, A.slice(0, 1), B)).rejects.toThrow(/at least 2/);
  });
});
