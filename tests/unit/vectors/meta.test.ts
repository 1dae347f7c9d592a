import { describe, expect, it } from 'vitest';
import { LAYER_CONVENTION, MAX_VECTOR_NORM, assertSaneVectors, checkVectorSet, parseVectorMeta, presentLayers, row } from '../../../src/engine/vectors/meta';
import { assertFinite } from '../../../src/engine/linalg';

const meta = { modelId: 'm', tap: 'hook_resid_post', pooling: 'response-mean', method: 'diff-in-means', counts: { pos: 1, neg: 1 }, layerConvention: LAYER_CONVENTION, hiddenSize: 2, numLayers: 2, normalized: false };

describe('vector meta', () => {
  it('states the layer convention', () => {
    expect(LAYER_CONVENTION).toMatch(/model\.layers\[L\].*hidden_states\[L\+1\]/);
  });
  it('parses valid meta and drops unknown fields', () => {
    const m = parseVectorMeta({ ...meta, evil: 'x', layers: [1] }, 'test');
    expect(m).not.toHaveProperty('evil');
    expect(presentLayers(m)).toEqual([1]);
    expect(presentLayers({ ...m, layers: undefined })).toEqual([0, 1]);
  });
  it('names the bad field', () => {
    expect(() => parseVectorMeta({ ...meta, hiddenSize: -1 }, 'file')).toThrow('file: metadata.hiddenSize must be a positive integer.');
    expect(() => parseVectorMeta({ ...meta, layers: [5] }, 'file')).toThrow(/metadata\.layers/);
  });
  it('checks shape and finiteness', () => {
    const m = parseVectorMeta(meta, 't');
    expect(() => checkVectorSet({ vectors: new Float32Array(3), meta: m }, 'x')).toThrow(/expected 2 x 2/);
    expect(() => assertFinite([1, Infinity], 'v')).toThrow(/Infinity/);
    expect(Array.from(row(new Float32Array([1, 2, 3, 4]), 2, 1))).toEqual([3, 4]);
  });
  it('refuses a layer whose norm is absurd, naming the layer; the limit itself passes', () => {
    // Layer 1 = (3e30, 4e30): norm 5e30 by hand.
    expect(() => assertSaneVectors(new Float32Array([1, 0, 3e30, 4e30]), 2, 'file')).toThrow(/file: the vector at layer 1 has norm 5\.00e\+30/);
    // (0.6, 0.8) * MAX is exactly at the limit in float64; float32 rounding keeps it within 1e-6 relative.
    const edge = [0.6 * MAX_VECTOR_NORM * (1 - 1e-6), 0.8 * MAX_VECTOR_NORM * (1 - 1e-6)];
    expect(() => assertSaneVectors(Float32Array.from(edge), 2, 'v')).not.toThrow();
    expect(() => assertSaneVectors([0.6 * MAX_VECTOR_NORM * 1.001, 0.8 * MAX_VECTOR_NORM * 1.001], 2, 'v')).toThrow(/layer 0 has norm 1\.00e\+6/);
    expect(() => assertSaneVectors([1, NaN], 2, 'v')).toThrow(/NaN/);
    expect(() => assertSaneVectors([0, 0, 3e7, 4e7], 2, 'v', (r) => r + 5)).toThrow(/layer 6/);
  });
});
