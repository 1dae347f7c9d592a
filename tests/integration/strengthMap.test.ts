/**
 * The layer × strength map on a fixture model (real engine). Expected values are computed here, independently
 * of the module: residual norms by a float64 loop over a capture of the prompt, each cell by generating its row
 * alone with the coefficient worked out by hand and averaging h·v̂ over the answer's positions in float64;
 * trait scores by the hash test judge's formula.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingEngine, fixtureEngine, type FixtureEngine } from '../helpers/fixtureEngine';
import { fnv1a, hashTestJudge } from '../helpers/testJudge';
import { runStrengthMap } from '../../src/engine/clients/eval/strengthMap';
import type { TapName } from '../../src/engine/shared/api';

const QUESTION = 'Tell me about the sea.';
const prompt = [{ role: 'user' as const, content: QUESTION }];

describe('runStrengthMap', () => {
  let fx: FixtureEngine;
  beforeAll(async () => { fx = await fixtureEngine({ family: 'llama', layout: 'decomposed', dtype: 'fp32' }); });
  afterAll(async () => fx?.close());

  it('every layer × strength in batched rows, strengths in units of the layer\'s residual norm, scored by judge and projection', async () => {
    const engine = countingEngine(fx.engine);
    const { hiddenSize: D, numLayers: L } = fx.engine.info()!;
    const vectors = Array.from({ length: L }, (_, layer) => ({ layer, vector: Float32Array.from({ length: D }, (_, i) => Math.sin(i * (0.7 + layer) + 1)) }));
    const strengths = [-1, 0, 0.5, 2];
    const res = await runStrengthMap(engine, {
      vectors, strengths, question: QUESTION, maxNewTokens: 6, batchSize: 8, judge: hashTestJudge(), traitTemplate: 'Q: {question}\nA: {answer}',
    });
    // One pass for the norms, then L × 4 rows in batches of 8.
    expect(engine.calls).toBe(1 + Math.ceil((L * strengths.length) / 8));
    expect(res.generateCalls).toBe(engine.calls);
    expect(res.cells.map((c) => [c.layer, c.strength])).toEqual(vectors.flatMap((v) => strengths.map((s) => [v.layer, s])));

    // Residual norms by hand: mean |h| over the prompt's positions after the first.
    const taps = vectors.map((v) => `blocks.${v.layer}.hook_resid_post` as TapName);
    const probe = await fx.engine.generate({ rows: [{ prompt }], maxNewTokens: 0, captures: taps });
    const S = probe.promptLengths[0];
    expect(S).toBeGreaterThan(2);
    vectors.forEach((v, i) => {
      const c = probe.captures[taps[i]].data;
      let sum = 0;
      for (let s = 1; s < S; s++) { let q = 0; for (let d = 0; d < D; d++) q += c[s * D + d] ** 2; sum += Math.sqrt(q); }
      expect(res.residualNorm[i]).toBeCloseTo(sum / (S - 1), 4);
    });

    for (const cell of res.cells) {
      const v = vectors[cell.layer].vector;
      const vn = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
      const coeff = (cell.strength * res.residualNorm[cell.layer]) / vn;
      expect(cell.coeff).toBeCloseTo(coeff, 6);
      // |coeff · v| is the strength times the residual norm: the normalised unit means what it says.
      expect(Math.abs(cell.coeff) * vn).toBeCloseTo(Math.abs(cell.strength) * res.residualNorm[cell.layer], 4);
      const alone = await fx.engine.generate({
        rows: [{ prompt, steering: coeff === 0 ? [] : [{ layer: cell.layer, vector: v, coeff, positions: 'all' }] }], maxNewTokens: 6, captures: [taps[cell.layer]],
      });
      const n = alone.tokens[0].length;
      const h = alone.captures[taps[cell.layer]].data;
      let proj = 0;
      for (let s = alone.promptLengths[0]; s < alone.promptLengths[0] + n; s++) { let d0 = 0; for (let d = 0; d < D; d++) d0 += h[s * D + d] * v[d]; proj += d0 / vn; }
      expect(cell.projection).toBeCloseTo(proj / n, 3);
      expect(cell.trait).toBe(fnv1a(`Q: ${QUESTION}\nA: ${cell.answer}`) % 101);
    }
    // The push does something: the strongest positive cell projects above the unsteered one at every layer.
    for (const v of vectors) {
      const at = (s: number) => res.cells.find((c) => c.layer === v.layer && c.strength === s)!.projection;
      expect(at(2)).toBeGreaterThan(at(0));
    }
  });

  it('says what is wrong with bad input', async () => {
    const { hiddenSize: D, numLayers: L } = fx.engine.info()!;
    const v = new Float32Array(D).fill(1);
    const run = (o: Partial<Parameters<typeof runStrengthMap>[1]>) => runStrengthMap(fx.engine, { vectors: [{ layer: 0, vector: v }], strengths: [1], question: QUESTION, ...o });
    await expect(run({ vectors: [{ layer: L, vector: v }] })).rejects.toThrow(`Layer ${L} is not one of this model's layers (0–${L - 1})`);
    await expect(run({ vectors: [{ layer: 0, vector: new Float32Array(D) }] })).rejects.toThrow('is zero');
    await expect(run({ vectors: [{ layer: 0, vector: new Float32Array(3).fill(1) }] })).rejects.toThrow(`hidden size is ${D}`);
    await expect(run({ strengths: [] })).rejects.toThrow('at least one strength');
    await expect(run({ strengths: [NaN] })).rejects.toThrow('finite');
    await expect(run({ question: '  ' })).rejects.toThrow('question');
  });
});
