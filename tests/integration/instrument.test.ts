/**
 * The instrumented graph against the original graph and the float64 reference, on every fixture
 * layout and dtype: taps, zero-intervention equivalence, steering, ablation.
 */
import { describe, expect, it } from 'vitest';
import { fixtureModel, isHalf, VARIANTS, variantName, type FixtureModel } from '../helpers/fixtureModel';
import { argmax, maxAbs, maxRelErr, relErr, rows, seededIds } from '../helpers/compare';
import { referenceForward } from '../fixtures/reference';
import { tensor } from '../../src/engine/core/runtime/ort';
import { toFloat32 } from '../../src/engine/shared/f16';
import { resolveSpec, type Positions, type ResolvedSpec, type SteeringSpec } from '../../src/engine/shared/steering';
import { byLayer } from '../../src/engine/core/runtime/steerFeeds';
import type { TapName } from '../../src/engine/shared/api';

const PROMPT = seededIds(7, 11, 500);

/** One prefill pass over the whole prompt, then one decode pass with a fixed token. */
async function twoPasses(m: FixtureModel, specs: SteeringSpec[], taps: TapName[], nextToken = 42) {
  const dims = { numLayers: m.cfg.numLayers, hiddenSize: m.cfg.hiddenSize };
  const steering = byLayer([specs.map((s) => resolveSpec(s, dims))]);
  const S = PROMPT.length;
  const mask = [PROMPT.map(() => 1)];
  const base = { padLeft: [0], promptLength: S };
  const pre = await m.decoder.forward({ ids: [PROMPT], mask, positions: [PROMPT.map((_, i) => i)], past: null, steering, pass: { phase: 'prefill', start: 0, length: S, ...base }, taps });
  const dec = await m.decoder.forward({ ids: [[nextToken]], mask: [[...mask[0], 1]], positions: [[S]], past: pre.present, steering, pass: { phase: 'decode', start: S, length: 1, ...base }, taps });
  return { pre, dec };
}

const tol = (v: object) => (isHalf(v) ? 2e-2 : 1e-4);
const unitVector = (D: number, seed: number) => {
  const v = seededIds(D, seed, 1000).map((x) => x / 500 - 1);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

describe.each(VARIANTS.map((v) => [variantName(v), v] as const))('%s', (_name, variant) => {
  const all = (m: FixtureModel) => m.inst.taps;

  it('with interventions at zero, logits equal the original graph and taps equal the reference', async () => {
    const m = await fixtureModel(variant);
    const { pre } = await twoPasses(m, [], all(m));
    const orig = await m.original();
    const S = PROMPT.length;
    const kv = m.decoder.kv;
    const feeds = {
      input_ids: tensor('int64', BigInt64Array.from(PROMPT.map(BigInt)), [1, S]),
      attention_mask: tensor('int64', BigInt64Array.from(PROMPT.map(() => 1n)), [1, S]),
      position_ids: tensor('int64', BigInt64Array.from(PROMPT.map((_, i) => BigInt(i))), [1, S]),
      ...Object.fromEntries(kv.names.map((n) => [`past_key_values.${n}`, tensor(kv.dtype, kv.dtype === 'float16' ? new Uint16Array(0) : new Float32Array(0), [1, kv.kvHeads, 0, kv.headDim])])),
    };
    const out = await orig.run(feeds, ['logits']);
    const logits = toFloat32(out.logits.data);
    const V = m.cfg.vocabSize;
    expect(maxRelErr(pre.logits![0], logits.subarray((S - 1) * V, S * V))).toBeLessThanOrEqual(isHalf(variant) ? 1e-3 : 1e-6);
    const ref = referenceForward(m.cfg, m.weights, [PROMPT], [PROMPT.map(() => 1)]);
    for (const tap of all(m)) expect(relErr(pre.taps[tap], ref.taps[tap]), tap).toBeLessThan(tol(variant));
    expect(relErr(pre.logits![0], ref.logits.subarray((S - 1) * V, S * V))).toBeLessThan(isHalf(variant) ? 3e-2 : 1e-4);
  });

  it.each(['all', 'prompt', 'response'] as Positions[])('steering in %s mode adds coeff·v exactly where the mode says', async (positions) => {
    const m = await fixtureModel(variant);
    const L = m.cfg.numLayers - 1 - (variant.layout === 'builder' ? 0 : 1); // builder: the final-norm layer too
    const v = unitVector(m.cfg.hiddenSize, 5);
    const coeff = 3;
    const taps: TapName[] = [`blocks.${L}.hook_resid_post`, `blocks.${L}.hook_resid_mid`, ...(L > 0 ? [`blocks.${L - 1}.hook_resid_post` as TapName] : [])];
    const base = await twoPasses(m, [], taps);
    const steered = await twoPasses(m, [{ layer: L, vector: v, coeff, positions }], taps);
    const zero = await twoPasses(m, [{ layer: L, vector: v, coeff: 0, positions }], taps);
    const after = await twoPasses(m, [], taps);
    const S = PROMPT.length;
    const D = m.cfg.hiddenSize;
    const post = `blocks.${L}.hook_resid_post`;
    for (let p = 0; p <= S; p++) {
      const pass = p < S ? 'pre' : 'dec';
      const i = p < S ? p : 0;
      const b = base[pass].taps[post].subarray(i * D, (i + 1) * D);
      const s = steered[pass].taps[post].subarray(i * D, (i + 1) * D);
      const on = positions === 'all' || (positions === 'prompt' && p < S) || (positions === 'response' && p >= S - 1);
      const want = Array.from(b, (x, d) => x + (on ? coeff * v[d] : 0));
      // Within float rounding of the body dtype (fp16 rounds the sum to ~1e-3 relative).
      expect(relErr(s, want), `position ${p}`).toBeLessThan(isHalf(variant) ? 2e-3 : 1e-6);
      if (!on) expect(Array.from(s)).toEqual(Array.from(b));
    }
    for (const t of taps.filter((t) => t !== post)) {
      expect(Array.from(steered.pre.taps[t])).toEqual(Array.from(base.pre.taps[t]));
      expect(Array.from(steered.dec.taps[t])).toEqual(Array.from(base.dec.taps[t]));
    }
    expect(Array.from(zero.pre.logits![0])).toEqual(Array.from(base.pre.logits![0]));
    expect(Array.from(zero.dec.logits![0])).toEqual(Array.from(base.dec.logits![0]));
    expect(Array.from(after.dec.logits![0])).toEqual(Array.from(base.dec.logits![0]));
    // Steering must reach the logits: prompt mode at the last layer only moves the prefill's logits
    // (the decode step reads the last layer's residual at its own position only).
    const moved = (pass: 'pre' | 'dec') => maxAbs(Array.from(steered[pass].logits![0], (x, k) => x - base[pass].logits![0][k]));
    expect(moved('pre')).toBeGreaterThan(0);
    if (positions !== 'prompt') expect(moved('dec')).toBeGreaterThan(0);
  });

  it('ablation with strength 1 removes the direction and matches the reference', async () => {
    const m = await fixtureModel(variant);
    const L = 1;
    const u = unitVector(m.cfg.hiddenSize, 9);
    const post = `blocks.${L}.hook_resid_post` as TapName;
    const last = `blocks.${m.cfg.numLayers - 1}.hook_resid_post` as TapName;
    const { pre } = await twoPasses(m, [{ layer: L, direction: u.map((x) => x * 7), ablate: 1 }], [post, last]);
    const D = m.cfg.hiddenSize;
    const base = await twoPasses(m, [], [post]);
    for (let p = 0; p < PROMPT.length; p++) {
      const h = pre.taps[post].subarray(p * D, (p + 1) * D);
      const dot = h.reduce((s, x, d) => s + x * u[d], 0);
      const norm = Math.hypot(...base.pre.taps[post].subarray(p * D, (p + 1) * D));
      expect(Math.abs(dot) / norm).toBeLessThan(isHalf(variant) ? 5e-3 : 1e-5);
    }
    const ref = referenceForward(m.cfg, m.weights, [PROMPT], [PROMPT.map(() => 1)], {
      intervene: (layer, _r, _p, h) => {
        if (layer !== L) return;
        const dot = h.reduce((s, x, d) => s + x * u[d], 0);
        for (let d = 0; d < D; d++) h[d] -= dot * u[d];
      },
    });
    expect(relErr(pre.taps[last], ref.taps[last])).toBeLessThan(tol(variant));
  });

  it('steering matches the reference forward with the same intervention', async () => {
    const m = await fixtureModel(variant);
    const L = 0;
    const v = unitVector(m.cfg.hiddenSize, 3);
    const last = `blocks.${m.cfg.numLayers - 1}.hook_resid_post` as TapName;
    const { pre } = await twoPasses(m, [{ layer: L, vector: v, coeff: 2, positions: 'all' }], [last]);
    const ref = referenceForward(m.cfg, m.weights, [PROMPT], [PROMPT.map(() => 1)], {
      intervene: (layer, _r, _p, h) => { if (layer === L) for (let d = 0; d < h.length; d++) h[d] += 2 * v[d]; },
    });
    expect(relErr(pre.taps[last], ref.taps[last])).toBeLessThan(tol(variant));
    expect(argmax(pre.logits![0])).toBe(argmax(ref.logits.subarray((PROMPT.length - 1) * m.cfg.vocabSize, PROMPT.length * m.cfg.vocabSize)));
  });
});

// Silence unused-import lint for helpers used only in some variants.
void rows;
export type { ResolvedSpec };
