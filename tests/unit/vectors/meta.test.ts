import { describe, expect, it } from 'vitest';
import { LAYER_CONVENTION, MAX_VECTOR_NORM, assertSaneVectors, checkVectorSet, parseVectorMeta, presentLayers, row } from '../../../src/engine/clients/vectors/meta';
import { assertFinite } from '../../../src/engine/shared/linalg';

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

describe('parseVectorMeta field by field', () => {
  const refuse = (patch: Record<string, unknown>, message: string) => expect(() => parseVectorMeta({ ...meta, ...patch }, 'f')).toThrow(`f: metadata.${message}.`);

  it('refuses anything but a plain object', () => {
    for (const x of [null, [meta], 'meta', 3, undefined]) expect(() => parseVectorMeta(x, 'f')).toThrow('f: metadata must be an object.');
  });

  it('names each required field and what it must be', () => {
    refuse({ modelId: 3 }, 'modelId must be a string');
    refuse({ tap: 'hook_embed' }, 'tap must be "hook_resid_post" or "hook_resid_mid"');
    refuse({ pooling: 1 }, 'pooling must be a string');
    refuse({ method: null }, 'method must be a string');
    refuse({ counts: null }, 'counts must be {pos, neg} integers');
    refuse({ counts: 'x' }, 'counts must be {pos, neg} integers');
    refuse({ counts: { pos: 1.5, neg: 1 } }, 'counts must be {pos, neg} integers');
    refuse({ counts: { pos: 1, neg: '1' } }, 'counts must be {pos, neg} integers');
    refuse({ layerConvention: 0 }, 'layerConvention must be a string');
    refuse({ hiddenSize: 0 }, 'hiddenSize must be a positive integer');
    refuse({ hiddenSize: 2.5 }, 'hiddenSize must be a positive integer');
    refuse({ numLayers: 0 }, 'numLayers must be a positive integer');
    refuse({ numLayers: '2' }, 'numLayers must be a positive integer');
    refuse({ normalized: 'false' }, 'normalized must be true or false');
  });

  it('accepts layer indices 0..numLayers-1 only, and copies the list', () => {
    refuse({ layers: [-1] }, 'layers must list layer indices in 0..1');
    refuse({ layers: [0, 2] }, 'layers must list layer indices in 0..1');
    refuse({ layers: [0.5] }, 'layers must list layer indices in 0..1');
    refuse({ layers: 1 }, 'layers must list layer indices in 0..1');
    const layers = [1, 0];
    const m = parseVectorMeta({ ...meta, layers }, 'f');
    expect(m.layers).toEqual([1, 0]);
    layers.push(1);
    expect(m.layers).toEqual([1, 0]);
    expect(Object.keys(parseVectorMeta(meta, 'f'))).not.toContain('layers');
  });

  it('keeps every field, the optional strings when present and checked', () => {
    const full = { ...meta, tap: 'hook_resid_mid', counts: { pos: 3, neg: 4 }, architecture: 'llama', comparedModelId: 'b', trait: 'evil', createdAt: '2026-01-01', notes: 'n' };
    expect(parseVectorMeta(full, 'f')).toEqual({
      modelId: 'm', tap: 'hook_resid_mid', pooling: 'response-mean', method: 'diff-in-means', counts: { pos: 3, neg: 4 }, layerConvention: LAYER_CONVENTION,
      hiddenSize: 2, numLayers: 2, normalized: false, architecture: 'llama', comparedModelId: 'b', trait: 'evil', createdAt: '2026-01-01', notes: 'n',
    });
    for (const k of ['architecture', 'comparedModelId', 'trait', 'createdAt', 'notes']) refuse({ [k]: 5 }, `${k} must be a string`);
    expect(Object.keys(parseVectorMeta(meta, 'f')).sort()).toEqual(['counts', 'hiddenSize', 'layerConvention', 'method', 'modelId', 'normalized', 'numLayers', 'pooling', 'tap']);
  });
});

describe('vector set checks', () => {
  it('names the expected shape, and the first non-finite value by index', () => {
    const m = parseVectorMeta(meta, 't');
    expect(() => checkVectorSet({ vectors: new Float32Array(5), meta: m }, 'x')).toThrow('x: expected 2 x 2 = 4 values, found 5.');
    expect(() => checkVectorSet({ vectors: new Float32Array([0, 1, NaN, 2]), meta: m }, 'x')).toThrow('x: value 2 is NaN; vectors must not contain NaN or Infinity.');
    expect(() => checkVectorSet({ vectors: new Float32Array(4), meta: m }, 'x')).not.toThrow();
    expect(() => assertFinite([-Infinity], 'v')).toThrow('v: value 0 is -Infinity;');
    expect(() => assertFinite([0, -1e38, 1e-45], 'v')).not.toThrow();
  });
  it('presentLayers sorts and dedupes; row is a view of one layer', () => {
    expect(presentLayers({ ...parseVectorMeta(meta, 't'), numLayers: 11, layers: [10, 2, 10, 0] })).toEqual([0, 2, 10]);
    expect(presentLayers({ ...parseVectorMeta(meta, 't'), numLayers: 3 })).toEqual([0, 1, 2]);
    const m = new Float32Array([1, 2, 3, 4, 5, 6]);
    const r = row(m, 2, 2);
    expect(Array.from(r)).toEqual([5, 6]);
    r[0] = 9;
    expect(m[4]).toBe(9);
    expect(Array.from(row(m, 2, 0))).toEqual([1, 2]);
  });
});
