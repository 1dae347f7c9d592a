import { describe, expect, it } from 'vitest';
import { diffInMeans } from '../../../src/engine/clients/vectors/diffInMeans';
import { LAYER_CONVENTION } from '../../../src/engine/clients/vectors/meta';

const opts = { hiddenSize: 2, modelId: 'test/model', pooling: 'response-mean' as const };

describe('diffInMeans', () => {
  it('computes hand-checked means per layer', () => {
    // layer 0: pos rows (1,2),(3,4) mean (2,3); neg rows (0,0),(1,1),(2,2) mean (1,1) -> (1,2)
    // layer 1: pos mean (10,0); neg mean (4,-2) -> (6,2)
    const pos = [new Float32Array([1, 2, 3, 4]), new Float32Array([10, 0, 10, 0])];
    const neg = [new Float32Array([0, 0, 1, 1, 2, 2]), new Float32Array([4, -2, 4, -2, 4, -2])];
    const { vectors, meta } = diffInMeans(pos, neg, opts);
    expect(Array.from(vectors)).toEqual([1, 2, 6, 2]);
    expect(meta).toMatchObject({
      modelId: 'test/model', tap: 'hook_resid_post', pooling: 'response-mean', method: 'diff-in-means',
      counts: { pos: 2, neg: 3 }, layerConvention: LAYER_CONVENTION, hiddenSize: 2, numLayers: 2, normalized: false,
    });
    expect(meta.layerConvention).toContain('hidden_states[L+1]');
  });

  it('normalises each layer to unit length on request', () => {
    const { vectors, meta } = diffInMeans([new Float32Array([3, 4])], [new Float32Array([0, 0])], { ...opts, normalize: true });
    expect(vectors[0]).toBeCloseTo(0.6, 7);
    expect(vectors[1]).toBeCloseTo(0.8, 7);
    expect(meta.normalized).toBe(true);
  });

  it('keeps precision where float32 accumulation would not (means computed in float64)', () => {
    // 1e7 + small offsets: a float32 running sum loses the offsets.
    const n = 1000;
    const pos = new Float32Array(n).map((_, i) => 1e7 + (i % 2));
    const neg = new Float32Array(n).fill(1e7);
    const { vectors } = diffInMeans([pos], [neg], { ...opts, hiddenSize: 1 });
    expect(vectors[0]).toBeCloseTo(0.5, 6);
  });

  it('refuses NaN, ragged rows and mismatched layer counts', () => {
    expect(() => diffInMeans([new Float32Array([NaN, 1])], [new Float32Array([0, 0])], opts)).toThrow(/NaN or Infinity/);
    expect(() => diffInMeans([new Float32Array([1, 2, 3])], [new Float32Array([0, 0])], opts)).toThrow(/whole number of rows/);
    expect(() => diffInMeans([new Float32Array(2)], [], opts)).toThrow(/same non-zero number of layers/);
    expect(() => diffInMeans([new Float32Array(2), new Float32Array(4)], [new Float32Array(2), new Float32Array(2)], opts)).toThrow(/Layer 1 has 2 positive/);
  });
  it('names the side and layer of bad activations', () => {
    const ok = new Float32Array([1, 2]);
    expect(() => diffInMeans([ok, new Float32Array([1, NaN])], [ok, ok], opts)).toThrow('positive activations, layer 1: value 1 is NaN;');
    expect(() => diffInMeans([ok, ok], [ok, new Float32Array([NaN, 1])], opts)).toThrow('negative activations, layer 1: value 0 is NaN;');
    expect(() => diffInMeans([ok, new Float32Array(3)], [ok, ok], opts)).toThrow('positive activations, layer 1: 3 values is not a whole number of rows of 2.');
    expect(() => diffInMeans([ok, ok], [ok, new Float32Array(3)], opts)).toThrow('negative activations, layer 1: 3 values is not a whole number of rows of 2.');
    expect(() => diffInMeans([new Float32Array(0)], [new Float32Array(0)], opts)).toThrow('positive activations, layer 0: no rows to average.');
    expect(() => diffInMeans([ok], [new Float32Array(0)], opts)).toThrow('negative activations, layer 0: no rows to average.');
  });
  it('a zero difference stays zero when normalised; optional metadata only when given', () => {
    const { vectors, meta } = diffInMeans([new Float32Array([1, 1]), new Float32Array([0, -3])], [new Float32Array([1, 1]), new Float32Array([0, 1])], { ...opts, normalize: true });
    expect(Array.from(vectors)).toEqual([0, 0, 0, -1]);
    expect(Object.keys(meta).sort()).toEqual(['counts', 'hiddenSize', 'layerConvention', 'method', 'modelId', 'normalized', 'numLayers', 'pooling', 'tap']);
    expect(Object.keys(diffInMeans([new Float32Array(2)], [new Float32Array(2)], { ...opts, architecture: '', trait: '' }).meta)).not.toContain('trait');
  });
});
