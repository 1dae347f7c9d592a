/** Coefficient sweeps on a fixture model: batched generation, per-coefficient mean ± sd, random control. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingEngine, fixtureEngine, type FixtureEngine } from '../helpers/fixtureEngine';
import { fnv1a, hashTestJudge } from '../helpers/testJudge';
import { COHERENCE_TEMPLATE } from '../../src/engine/clients/eval/judge';
import { runSweep, cleanAnswer, SweepScoringError } from '../../src/engine/clients/eval/sweep';
import { EngineError } from '../../src/engine/shared/errors';

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
    // The hash judge's scores follow from the filled prompt, so each condition's trait and coherence summary is
    // computed here from the rows' answers alone (mean and sample sd by hand), and the projection summary from
    // the rows' projections.
    const stats = (xs: number[]) => {
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      return { n: xs.length, mean: m, sd: Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1)) };
    };
    for (const s of res.summary) {
      for (const [cond, isControl] of [[s, false], [s.control!, true]] as const) {
        const rows = res.rows.filter((r) => r.coeff === s.coeff && r.control === isControl);
        expect(rows).toHaveLength(4);
        const trait = stats(rows.map((r) => fnv1a(`Q: ${r.question}\nA: ${r.answer}`) % 101));
        const coherence = stats(rows.map((r) => fnv1a(COHERENCE_TEMPLATE.replace('{question}', () => r.question).replace('{answer}', () => r.answer)) % 101));
        expect(cond.trait).toMatchObject({ n: 4, unscored: 0 });
        expect(cond.trait!.mean).toBeCloseTo(trait.mean, 10);
        expect(cond.trait!.sd).toBeCloseTo(trait.sd, 10);
        expect(cond.coherence!.mean).toBeCloseTo(coherence.mean, 10);
        expect(cond.coherence!.sd).toBeCloseTo(coherence.sd, 10);
        const projection = stats(rows.map((r) => r.projection));
        expect(cond.projection.n).toBe(4);
        expect(cond.projection.mean).toBeCloseTo(projection.mean, 10);
        expect(cond.projection.sd).toBeCloseTo(projection.sd, 10);
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
  it('a judge that fails after generation keeps every generated answer and projection, unscored, and says so', async () => {
    const D = fx.repo.cfg.hiddenSize;
    const vector = Float32Array.from({ length: D }, (_, i) => Math.cos(i));
    const failing = { id: 'failing', scoreMany: async () => { throw new EngineError('bad-input', 'The judge prompt has 3000 tokens, beyond this model\'s 256 positions.'); } };
    const err = await runSweep(fx.engine, { vector, layer: 1, coeffs: [-2, 2], questions: ['Hi?', 'Why?'], maxNewTokens: 3, judge: failing, traitTemplate: '{question} {answer}', control: false })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SweepScoringError);
    const e = err as SweepScoringError;
    expect(e.code).toBe('bad-input');
    expect(e.message).toMatch(/^The judge prompt has 3000 tokens.*The 4 generated answers and their projections are kept/);
    expect(e.partial.rows).toHaveLength(4);
    for (const r of e.partial.rows) {
      expect(r.answer.length).toBeGreaterThan(0);
      expect(Number.isFinite(r.projection)).toBe(true);
      expect(r.trait).toBeNull();
    }
    expect(e.partial.summary.every((s) => s.trait === null)).toBe(true);
  });
});
