/**
 * The prefix cache's reuse rule per position mode (README, "How the graph is instrumented"), on the engine's own
 * generation loop over a real onnxruntime session, against the float64 reference forward pass with the same
 * intervention (tests/fixtures/reference.ts, an independent implementation):
 *  - `response` steers only the last prompt token and generated tokens: the cached prefix (all prompt tokens but
 *    the last) holds no steering, so it is reused across coefficient changes;
 *  - `all` and `prompt` steer the prefix: its KV depends on the coefficient, so a coefficient change must miss
 *    the cache (reusing it would give the old coefficient's numbers), and the same coefficient again may hit.
 * After every run the first two generated positions' logits must equal the reference's for the coefficient
 * asked for; a rule that reused a steered prefix fails here.
 */
import { describe, expect, it } from 'vitest';
import { fixtureModel, variantName } from '../../helpers/fixtureModel';
import { argmax, relErr, seededIds } from '../../helpers/compare';
import { referenceForward } from '../../fixtures/reference';
import { PrefixCache, runLoop } from '../../../src/engine/core/runtime/generate';
import { resolveSpec, type Positions } from '../../../src/engine/shared/steering';
import type { FixtureConfig } from '../../fixtures/spec';

const VARIANTS: Partial<FixtureConfig>[] = [
  { family: 'llama', layout: 'decomposed', dtype: 'fp32' },
  { family: 'qwen2', layout: 'builder', attention: 'mha', dtype: 'fp32' },
];
const LAYER = 1;

/** Which positions a mode steers, for a prompt of S tokens (the reference's side of the rule). */
function steers(mode: Positions, pos: number, S: number): boolean {
  if (mode === 'all') return true;
  if (mode === 'prompt') return pos < S;
  return pos >= S - 1;
}

describe.each(VARIANTS.map((v) => [variantName(v), v] as const))('prefix cache reuse rule, %s', (_n, variant) => {
  it.each(['all', 'prompt', 'response'] as const)('%s: reuse only when the prefix is unchanged, numbers equal the float64 reference', async (mode) => {
    const m = await fixtureModel(variant);
    const { numLayers, hiddenSize: D, vocabSize: V } = m.cfg;
    const prompt = seededIds(9, 31, 500);
    const S = prompt.length;
    // A vector about as long as the residual itself, so that the old coefficient's prefix would be far off.
    const v = Float32Array.from({ length: D }, (_, i) => Math.sin(i * 1.1 + 0.3));
    const cache = new PrefixCache();
    const run = async (coeff: number) => {
      const logits: Float32Array[] = [];
      const out = await runLoop(m.decoder, cache, {
        ids: [prompt], steering: [[resolveSpec({ layer: LAYER, vector: v, coeff, positions: mode }, { numLayers, hiddenSize: D })]],
        maxNewTokens: 2, pick: (_r, l) => { logits.push(l.slice()); return argmax(l); }, eos: new Set(), padId: 0, stopAtEos: false, taps: [],
      });
      const seq = [...prompt, out.tokens[0][0]];
      const ref = referenceForward(m.cfg, m.weights, [seq], [seq.map(() => 1)], {
        intervene: (layer, _r, pos, h) => { if (layer === LAYER && steers(mode, pos, S)) for (let d = 0; d < D; d++) h[d] += coeff * v[d]; },
      });
      logits.forEach((l, step) => {
        const p = S - 1 + step;
        expect(relErr(l, ref.logits.subarray(p * V, (p + 1) * V)), `coeff ${coeff}, step ${step}`).toBeLessThan(1e-4);
      });
      return out.prefixReused;
    };
    expect(await run(2)).toBe(false); // empty cache
    // The slider moved: only `response` may reuse the cached prefix.
    expect(await run(5)).toBe(mode === 'response');
    // Same coefficient again (a new length or seed would do the same): every mode may reuse.
    expect(await run(5)).toBe(true);
    expect(await run(-3)).toBe(mode === 'response');
  });
});
