/**
 * bench/gpu/attention.ts: the single-operator graphs and their float64 reference. On wasm (whose kernels
 * are exact at any length) every case must come out exact, so a wrong reference or a mis-wired graph
 * (causality, KV-head sharing, past keys) shows here before it is trusted on a GPU.
 */
import { describe, expect, it } from 'vitest';
import { ATTENTION_SHAPE, attentionInputs, attentionSweep, referenceAttention } from '../../../bench/gpu/attention';

describe('single-op attention check', () => {
  it('the reference of one query over one key returns that key\'s value, per KV head', () => {
    const x = attentionInputs('gqa', ATTENTION_SHAPE, 1, 0, 3);
    const out = referenceAttention(x, ATTENTION_SHAPE);
    const { heads, kvHeads, headDim } = ATTENTION_SHAPE;
    for (let h = 0; h < heads; h++) {
      const kh = Math.floor(h / (heads / kvHeads));
      for (let i = 0; i < headDim; i++) expect(out[h * headDim + i]).toBeCloseTo(x.v[kh * headDim + i], 6);
    }
  });

  it('MultiHeadAttention and GroupQueryAttention on wasm equal the reference with and without past keys, below and above 32 queries', async () => {
    const cases = await attentionSweep('wasm', [1, 5, 33], [0, 6], () => {});
    expect(cases).toHaveLength(12);
    for (const c of cases) expect(c.maxRelErr, `${c.op} S=${c.queries} P=${c.past}`).toBeLessThan(1e-5);
    expect(cases.every((c) => c.exact)).toBe(true);
  });
});
