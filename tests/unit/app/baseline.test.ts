/**
 * The kept baseline: what its key depends on, what the plan asks the engine for, and — on the real engine with
 * a fixture model — that generating the steered row alone beside a kept baseline shows exactly what generating
 * both rows would (same tokens, texts and projections), sampled and greedy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaselineKeeper, baselineKey, type PairInput } from '../../../src/app/baseline';
import type { GenerateResult } from '../../../src/engine/shared/api';
import { fixtureEngine, type FixtureEngine } from '../../helpers/fixtureEngine';

const D = 64;
const vec = (k: number) => Float32Array.from({ length: D }, (_, i) => Math.sin(i * k + 1));
const input = (over: Partial<PairInput> = {}): PairInput => ({
  modelKey: 'm|fp32|wasm', prompt: 'Tell me about the sea.', steering: [{ layer: 1, vector: vec(1.3), coeff: 2, positions: 'all' }],
  sampling: { temperature: 0, seed: 1 }, maxNewTokens: 8, monitor: { layer: 1, direction: vec(1.3) }, ...over,
});

describe('baselineKey', () => {
  it('ignores steering and changes with everything the baseline row depends on', () => {
    const k = baselineKey(input());
    expect(baselineKey(input({ steering: [{ layer: 2, vector: vec(0.2), coeff: -7, positions: 'response' }] }))).toBe(k);
    expect(baselineKey(input({ steering: [] }))).toBe(k);
    for (const changed of [
      input({ modelKey: 'other' }), input({ prompt: 'Tell me about the land.' }), input({ prompt: [{ role: 'user', content: 'Tell me about the sea.' }] }),
      input({ sampling: { temperature: 0.7, seed: 1 } }), input({ sampling: { temperature: 0, seed: 2 } }), input({ sampling: { temperature: 0, seed: 1, topP: 0.9 } }),
      input({ maxNewTokens: 9 }), input({ monitor: undefined }), input({ monitor: { layer: 2, direction: vec(1.3) } }),
      input({ monitor: { layer: 1, direction: vec(1.3).map((x, i) => (i === 5 ? x + 1e-3 : x)) } }),
    ]) expect(baselineKey(changed)).not.toBe(k);
  });
});

describe('BaselineKeeper.plan', () => {
  const result = (text: string[], projections?: number[][]): GenerateResult => ({ tokens: text.map(() => [1]), text, promptLengths: [1, 1], padLeft: [0, 0], captures: {}, prefixReused: false, projections });

  it('asks for both rows until a baseline is kept, then for the steered row alone', () => {
    const keeper = new BaselineKeeper();
    const first = keeper.plan(input());
    expect(first.baseline).toBeNull();
    expect(first.steeredRow).toBe(1);
    expect(first.request.rows).toEqual([{ prompt: input().prompt }, { prompt: input().prompt, steering: input().steering }]);
    keeper.keep(first, { ...result(['base', 'steered'], [[0.5, 1], [2, 3]]), tokens: [[10, 11], [12, 13]] });

    const moved = keeper.plan(input({ steering: [{ layer: 1, vector: vec(1.3), coeff: 5, positions: 'all' }] }));
    expect(moved.baseline).toEqual({ key: first.key, text: 'base', projections: [0.5, 1] });
    expect(moved.steeredRow).toBe(0);
    // The steered row runs alone with the last steered tokens as its draft.
    expect(moved.request.rows).toEqual([{ prompt: input().prompt, steering: [{ layer: 1, vector: vec(1.3), coeff: 5, positions: 'all' }], draft: [12, 13] }]);
    expect(moved.request).toMatchObject({ maxNewTokens: 8, sampling: { temperature: 0, seed: 1 }, monitor: input().monitor });
    // A one-row result does not replace the kept baseline.
    keeper.keep(moved, { ...result(['steered again']), tokens: [[14, 15]] });
    expect(keeper.plan(input()).baseline?.text).toBe('base');
    expect(keeper.plan(input()).request.rows[0].draft).toEqual([14, 15]);
    // Drafts are the same key's only: another seed has no kept baseline, so both rows run and none is drafted.
    expect(keeper.plan(input({ sampling: { temperature: 0, seed: 9 } })).request.rows.some((r) => r.draft)).toBe(false);

    expect(keeper.plan(input({ sampling: { temperature: 0, seed: 9 } })).request.rows).toHaveLength(2);
    keeper.clear();
    expect(keeper.plan(input()).baseline).toBeNull();
  });
});

describe('BaselineKeeper with a prompted row', () => {
  const result = (text: string[], projections?: number[][]): GenerateResult => ({ tokens: text.map(() => [1]), text, promptLengths: text.map(() => 1), padLeft: text.map(() => 0), captures: {}, prefixReused: false, projections });
  const promptedPrompt = [{ role: 'system' as const, content: 'Speak as scripture.' }, { role: 'user' as const, content: 'Tell me about the sea.' }];

  it('asks for baseline, prompted and steered rows in one request, then keeps the two unsteered ones', () => {
    const keeper = new BaselineKeeper();
    const first = keeper.plan(input({ promptedPrompt }));
    expect(first.request.rows).toEqual([{ prompt: input().prompt }, { prompt: promptedPrompt }, { prompt: input().prompt, steering: input().steering }]);
    expect([first.promptedRow, first.steeredRow]).toEqual([1, 2]);
    expect(first.promptedKey).toBe(baselineKey(input({ prompt: promptedPrompt })));
    keeper.keep(first, result(['base', 'prompted', 'steered'], [[1], [2], [3]]));

    const moved = keeper.plan(input({ promptedPrompt, steering: [{ layer: 1, vector: vec(1.3), coeff: -3, positions: 'all' }] }));
    expect(moved.request.rows).toHaveLength(1);
    expect(moved.steeredRow).toBe(0);
    expect(moved.promptedRow).toBe(-1);
    expect(moved.baseline?.text).toBe('base');
    expect(moved.prompted).toEqual({ key: first.promptedKey, text: 'prompted', projections: [2] });

    // Another instruction: the baseline stays kept, only the prompted row is generated again, before the steered one.
    const other = keeper.plan(input({ promptedPrompt: [{ role: 'system', content: 'Be terse.' }, promptedPrompt[1]] }));
    expect(other.request.rows.map((r) => r.steering === undefined)).toEqual([true, false]);
    expect([other.promptedRow, other.steeredRow]).toEqual([0, 1]);
    keeper.keep(other, result(['terse', 'steered'], [[4], [5]]));
    expect(keeper.plan(input({ promptedPrompt: other.request.rows[0].prompt as typeof promptedPrompt })).prompted?.text).toBe('terse');
    expect(keeper.plan(input({ promptedPrompt })).prompted?.text).toBe('prompted');
    // Without a prompted prompt nothing about it is planned.
    const none = keeper.plan(input());
    expect([none.prompted, none.promptedRow, none.promptedKey]).toEqual([null, -1, null]);
  });
});

describe('steered row alone beside the kept baseline (real engine, fixture model)', () => {
  let fx: FixtureEngine;
  beforeAll(async () => { fx = await fixtureEngine({ family: 'llama', layout: 'decomposed', dtype: 'fp32' }); });
  afterAll(async () => { await fx?.close(); });

  for (const sampling of [{ temperature: 0, seed: 1 }, { temperature: 0.9, seed: 11 }]) {
    it(`shows what both rows would (temperature ${sampling.temperature})`, async () => {
      const { hiddenSize } = fx.engine.info()!;
      const v = Float32Array.from({ length: hiddenSize }, (_, i) => Math.cos(i * 0.7));
      const at = (coeff: number, positions: 'all' | 'response' = 'all'): PairInput => ({
        modelKey: 'fx', prompt: 'the sea and the boat', steering: [{ layer: 2, vector: v, coeff, positions }], sampling, maxNewTokens: 10,
        monitor: { layer: 2, direction: v.map((x) => x / Math.hypot(...v)) },
      });
      const keeper = new BaselineKeeper();
      const firstPlan = keeper.plan(at(1));
      keeper.keep(firstPlan, await fx.engine.generate(firstPlan.request));
      for (const [coeff, positions] of [[6, 'all'], [-4, 'response']] as const) {
        const plan = keeper.plan(at(coeff, positions));
        expect(plan.request.rows).toHaveLength(1);
        expect(plan.request.rows[0].draft?.length).toBe(10); // the previous position's steered tokens
        const alone = await fx.engine.generate(plan.request);
        keeper.keep(plan, alone);
        // The same move with both rows regenerated, as the lab did before.
        const both = await fx.engine.generate(new BaselineKeeper().plan(at(coeff, positions)).request);
        expect(alone.tokens[0]).toEqual(both.tokens[1]);
        expect(alone.text[0]).toEqual(both.text[1]);
        // Drafted positions run in one multi-position pass: the same tokens, projections equal up to float rounding.
        alone.projections![0].forEach((x, i) => expect(x).toBeCloseTo(both.projections![1][i], 4));
        expect(alone.projections![0]).toHaveLength(both.projections![1].length);
        expect(plan.baseline!.text).toEqual(both.text[0]);
        expect(plan.baseline!.projections).toEqual(both.projections![0]);
        expect(both.text[1]).not.toEqual(both.text[0]); // the steering does something here
      }
    });
  }

  it('generates the prompted row in the batch as the prompted prompt alone would, and keeps it', async () => {
    const { hiddenSize } = fx.engine.info()!;
    const v = Float32Array.from({ length: hiddenSize }, (_, i) => Math.cos(i * 0.7));
    const sampling = { temperature: 0.9, seed: 5 };
    const monitor = { layer: 2, direction: v.map((x) => x / Math.hypot(...v)) };
    const at = (coeff: number): PairInput => ({
      modelKey: 'fx', prompt: 'the sea and the boat', promptedPrompt: 'always the boat\n\nthe sea and the boat',
      steering: [{ layer: 2, vector: v, coeff, positions: 'all' }], sampling, maxNewTokens: 10, monitor,
    });
    const keeper = new BaselineKeeper();
    const plan = keeper.plan(at(3));
    const batch = await fx.engine.generate(plan.request);
    keeper.keep(plan, batch);
    // The independent reading: the prompted prompt as a one-row request with the same sampling and monitor.
    const alone = await fx.engine.generate({ rows: [{ prompt: 'always the boat\n\nthe sea and the boat' }], maxNewTokens: 10, sampling, monitor });
    expect(batch.tokens[plan.promptedRow]).toEqual(alone.tokens[0]);
    expect(batch.projections![plan.promptedRow]).toEqual(alone.projections![0]);
    expect(batch.text[plan.promptedRow]).not.toEqual(batch.text[0]); // the instruction changes the answer here
    const moved = keeper.plan(at(-5));
    expect(moved.request.rows).toHaveLength(1);
    expect(moved.prompted).toEqual({ key: plan.promptedKey, text: alone.text[0], projections: alone.projections![0] });
  });
});
