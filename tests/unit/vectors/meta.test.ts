import { describe, expect, it } from 'vitest';
import { LAYER_CONVENTION, checkVectorSet, parseVectorMeta, presentLayers, row } from '../../../src/engine/vectors/meta';
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
});
