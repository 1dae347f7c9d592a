/** Coefficient sweeps on a fixture model: batched generation, per-coefficient mean ± sd, random control. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingEngine, fixtureEngine, type FixtureEngine } from '../helpers/fixtureEngine';
import { hashTestJudge } from '../helpers/testJudge';
import { runSweep, cleanAnswer } from '../../src/engine/eval/sweep';

describe('sweep', () => {
  let fx: FixtureEngine;
  beforeAll(async () => { fx = await fixtureEngine({ family: 'qwen2' }); });
  afterAll(async () => fx?.close());

  it('6 coefficients × 4 questions run as a few batched generations with mean, sd and a random control per coefficient', async () => {
    const engine = countingEngine(fx.engine);
    const D = fx.repo.cfg.hiddenSize;
    const vector = Float32Array.from({ length: D }, (_, i) => Math.sin(i * 1.3));
    const coeffs = [-8, -4, 0, 2, 4, 8];
    const questions = ['What is the capital of France?', 'Tell me a story.', 'How are you?', 'Describe the sea.'];
    const res = await runSweep(engine, {
      vector, layer: 1, coeffs, questions, maxNewTokens: 5, batchSize: 24, judge: hashTestJudge(), traitTemplate: 'Q: {question}\nA: {answer}',
    });
    // 6 × 4 × 2 (vector and control) = 48 rows in 2 calls, instead of one generation per coefficient and question.
    expect(engine.calls).toBe(2);
    expect(res.generateCalls).toBe(2);
    expect(res.rows).toHaveLength(48);
    expect(res.summary.map((s) => s.coeff)).toEqual(coeffs);
    for (const s of res.summary) {
      for (const cond of [s, s.control!]) {
        expect(cond.trait!.n + cond.trait!.unscored).toBe(4);
        expect(Number.isFinite(cond.trait!.mean)).toBe(true);
        expect(cond.trait!.sd).toBeGreaterThanOrEqual(0);
        expect(cond.coherence!.n).toBe(4);
        expect(cond.projection.n).toBe(4);
        expect(Number.isFinite(cond.projection.mean) && Number.isFinite(cond.projection.sd)).toBe(true);
      }
    }
    // Coefficient 0 steers nothing, so the vector and control rows are the same generations.
    const zero = res.rows.filter((r) => r.coeff === 0);
    expect(zero.filter((r) => r.control).map((r) => r.answer)).toEqual(zero.filter((r) => !r.control).map((r) => r.answer));
    const s0 = res.summary.find((s) => s.coeff === 0)!;
    expect(s0.projection.mean).toBeCloseTo(s0.control!.projection.mean, 5);
    // The steered layer's own residual carries coeff·v: projection rises with the coefficient, far more than under the control.
    const p = (c: number) => res.summary.find((s) => s.coeff === c)!;
    expect(p(8).projection.mean - p(-8).projection.mean).toBeGreaterThan(Math.abs(p(8).control!.projection.mean - p(-8).control!.projection.mean));
  });

  it('strips a trailing end-of-turn marker from answers', () => {
    expect(cleanAnswer('Hello there<|im_end|>')).toBe('Hello there');
    expect(cleanAnswer(' Hi <|eot_id|>\n')).toBe('Hi');
    expect(cleanAnswer('a <|x|> b')).toBe('a <|x|> b');
  });
});
