/**
 * The mean residual norm behind every normalised strength, on a fixture model through the real engine, against
 * the float64 reference forward pass of the same weights (tests/fixtures/reference.ts): the norm of each
 * position's hook_resid_post is taken there in float64 and averaged over the prompt's positions after the first.
 * The conversions are checked against hand arithmetic.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureEngine, type FixtureEngine } from '../helpers/fixtureEngine';
import { referenceForward } from '../fixtures/reference';
import { coeffForStrength, measureResidualNorms, residualNormRequest, residualNormsOf, strengthOfCoeff } from '../../src/engine/clients/vectors/strength';

describe('measureResidualNorms', () => {
  let fx: FixtureEngine;
  beforeAll(async () => { fx = await fixtureEngine({ family: 'qwen2', layout: 'builder', dtype: 'fp32' }); });
  afterAll(async () => fx?.close());

  it('equals the float64 reference pass: mean |h| over the prompt after its first token, per layer', async () => {
    const { hiddenSize: D, numLayers: L } = fx.engine.info()!;
    const prompt = [{ role: 'system' as const, content: 'Be brief.' }, { role: 'user' as const, content: 'What can you tell me about the sea?' }];
    const layers = Array.from({ length: L }, (_, l) => l);
    const got = await measureResidualNorms((req) => fx.engine.generate(req), prompt, layers, D);

    const ids = (await fx.engine.tokenize(prompt)).ids;
    const S = ids.length;
    expect(S).toBeGreaterThan(3);
    expect(got.positions).toBe(S - 1);
    const ref = referenceForward(fx.repo.cfg, fx.repo.weights, [ids], [ids.map(() => 1)]);
    for (const l of layers) {
      const h = ref.taps[`blocks.${l}.hook_resid_post`];
      let sum = 0;
      for (let s = 1; s < S; s++) { let q = 0; for (let d = 0; d < D; d++) q += h[s * D + d] ** 2; sum += Math.sqrt(q); }
      const want = sum / (S - 1);
      expect(Math.abs(got.norms[l] - want) / want).toBeLessThan(1e-4);
    }
    // The first token is left out: with it the mean differs (it is not the same number by accident).
    const h0 = ref.taps['blocks.0.hook_resid_post'];
    let withFirst = 0;
    for (let s = 0; s < S; s++) { let q = 0; for (let d = 0; d < D; d++) q += h0[s * D + d] ** 2; withFirst += Math.sqrt(q); }
    expect(Math.abs(withFirst / S - got.norms[0])).toBeGreaterThan(1e-3 * got.norms[0]);
  });

  it('reads a left-padded row from its own first token on, and says when a layer was not captured', async () => {
    const { hiddenSize: D } = fx.engine.info()!;
    const short = 'Hi there';
    const alone = await measureResidualNorms((req) => fx.engine.generate(req), short, [1], D);
    // The same prompt batched beside a longer one is left-padded; only row 0's padding offset changes.
    const req = residualNormRequest(short, [1]);
    const batched = await fx.engine.generate({ ...req, rows: [req.rows[0], { prompt: 'A much longer prompt than the first one, by several tokens' }] });
    expect(batched.padLeft[0]).toBeGreaterThan(0);
    expect(residualNormsOf(batched, [1], D).norms[0]).toBeCloseTo(alone.norms[0], 4);
    expect(() => residualNormsOf(batched, [0], D)).toThrow("did not capture layer 0's residual stream");
    await expect(measureResidualNorms((r) => fx.engine.generate(r), short, [], D)).rejects.toThrow('at least one layer');
  });

  it('converts between raw coefficient and strength (× the layer\'s residual norm) by hand arithmetic', () => {
    // |v| = 5, mean |h| = 20: a coefficient of 2 adds a vector of norm 10, half the residual norm.
    expect(strengthOfCoeff(2, 20, 5)).toBeCloseTo(0.5, 12);
    expect(coeffForStrength(0.5, 20, 5)).toBeCloseTo(2, 12);
    expect(strengthOfCoeff(-4, 20, 5)).toBeCloseTo(-1, 12);
    expect(strengthOfCoeff(1, 0, 5)).toBeNaN();
    expect(strengthOfCoeff(1, 20, 0)).toBeNaN();
  });
});
