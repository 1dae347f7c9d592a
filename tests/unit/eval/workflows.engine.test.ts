/**
 * The lab's workflows on a real fixture engine: step progress, the per-batch cache (a rerun sends nothing to the
 * engine and says "cached"), cancellation, refusals, and the ablation's row pairing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../../src/engine/clients/eval/cache';
import { ablationWorkflow } from '../../../src/engine/clients/eval/ablationWorkflow';
import { detectionWorkflow } from '../../../src/engine/clients/eval/detectionWorkflow';
import { monitorWorkflow } from '../../../src/engine/clients/eval/monitorWorkflow';
import { modelKeyOf, type StepProgress, type WorkflowCtx } from '../../../src/engine/clients/eval/workflow';
import type { VectorSet } from '../../../src/engine/clients/vectors/meta';
import { countingEngine, fixtureEngine, type FixtureEngine } from '../../helpers/fixtureEngine';

const GEN = { maxNewTokens: 4, temperature: 0, seed: 1, batchSize: 4 };

describe('lab workflows on the fixture engine', () => {
  let fx: FixtureEngine;
  const ctxOf = (engine = fx.engine, store = createMemoryStore(), signal = new AbortController().signal): WorkflowCtx =>
    ({ engine, store, signal, modelKey: modelKeyOf(fx.engine.info()!) });
  beforeAll(async () => { fx = await fixtureEngine({ family: 'llama' }); });
  afterAll(async () => { await fx?.close(); });

  it('monitor: three conditions per question; a rerun on the same store is all cached and generates nothing', async () => {
    const D = fx.engine.info()!.hiddenSize;
    const vector = Float32Array.from({ length: D }, (_, i) => (i % 3) - 1);
    const cfg = { vectorName: 'v', vector, layer: 1, coeff: 2, systemPrompt: 'Be brief.', questions: ['Hi?', 'Why?'], gen: GEN };
    const store = createMemoryStore();
    const first: StepProgress[] = [];
    const r = await monitorWorkflow(ctxOf(fx.engine, store), cfg, 'm', (s) => first.push(s));
    expect(r.samples.map((s) => s.condition)).toEqual(['baseline', 'baseline', 'prompted', 'prompted', 'steered', 'steered']);
    expect(first.at(-1)).toMatchObject({ status: 'done', loaded: 6, total: 6, fresh: 6, reused: 0 });
    const counting = countingEngine(fx.engine);
    const again: StepProgress[] = [];
    const r2 = await monitorWorkflow(ctxOf(counting, store), cfg, 'm', (s) => again.push(s));
    expect(counting.calls).toBe(0);
    expect(again.at(-1)).toMatchObject({ status: 'cached', fresh: 0, reused: 6 });
    expect(r2.samples).toEqual(r.samples);
  });

  it('detection: fewer than two prompts a side is refused; a cancelled run says so and throws "cancelled"', async () => {
    await expect(detectionWorkflow(ctxOf(), { labelA: 'a', labelB: 'b', setA: ['x'], setB: ['y', 'z'], seed: 1, batchSize: 4 }, 'm', () => undefined))
      .rejects.toMatchObject({ code: 'bad-input', message: 'Give at least two prompts in each set.' });
    const ctl = new AbortController();
    ctl.abort();
    const steps: StepProgress[] = [];
    await expect(detectionWorkflow(ctxOf(fx.engine, createMemoryStore(), ctl.signal), { labelA: 'a', labelB: 'b', setA: ['w', 'x'], setB: ['y', 'z'], seed: 1, batchSize: 4 }, 'm', (s) => steps.push(s)))
      .rejects.toMatchObject({ code: 'cancelled' });
    expect(steps.at(-1)?.status).toBe('cancelled');
  });

  it('ablation: strength 0 leaves every answer as it was (rows are paired per prompt); a zero direction is refused', async () => {
    const { numLayers: L, hiddenSize: D } = fx.engine.info()!;
    const set: VectorSet = {
      vectors: Float32Array.from({ length: L * D }, (_, i) => Math.sin(i)),
      meta: { numLayers: L, hiddenSize: D, modelId: 'm', method: 'diff-in-means', pooling: 'prompt-last', layerConvention: 'x', normalized: false } as VectorSet['meta'],
    };
    const prompts = ['Hi?', 'Tell me a story.', 'Why?'];
    const r = await ablationWorkflow(ctxOf(), { set, range: [0, L - 1], strength: 0, prompts, gen: GEN }, () => undefined);
    expect(r.rows.map((x) => x.prompt)).toEqual(prompts);
    for (const row of r.rows) expect(row.ablated).toBe(row.plain);
    const full = await ablationWorkflow(ctxOf(), { set, range: [0, L - 1], strength: 2, prompts, gen: GEN }, () => undefined);
    expect(full.rows.map((x) => x.plain)).toEqual(r.rows.map((x) => x.plain));
    const zero = { ...set, vectors: new Float32Array(L * D) };
    await expect(ablationWorkflow(ctxOf(), { set: zero, range: [0, 1], strength: 1, prompts, gen: GEN }, () => undefined))
      .rejects.toMatchObject({ code: 'bad-input', message: 'The direction is zero on every layer of the range.' });
  });
});
