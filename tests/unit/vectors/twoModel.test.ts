import { describe, expect, it } from 'vitest';
import { twoModelDiff } from '../../../src/engine/clients/vectors/twoModel';

const opts = { hiddenSize: 2, modelId: 'org/finetuned', comparedModelId: 'org/base', pooling: 'prompt-last' as const };

describe('twoModelDiff', () => {
  it('averages paired differences per layer (hand-computed)', () => {
    // layer 0: A (1,2),(3,4) B (0,0),(1,1) -> diffs (1,2),(2,3) -> mean (1.5, 2.5)
    const { vectors, meta } = twoModelDiff([new Float32Array([1, 2, 3, 4])], [new Float32Array([0, 0, 1, 1])], opts);
    expect(Array.from(vectors)).toEqual([1.5, 2.5]);
    expect(meta).toMatchObject({ method: 'two-model', modelId: 'org/finetuned', comparedModelId: 'org/base', counts: { pos: 2, neg: 2 }, numLayers: 1 });
  });
  it('refuses unpaired activations', () => {
    expect(() => twoModelDiff([new Float32Array(4)], [new Float32Array(2)], opts)).toThrow(/paired/);
  });
  it('names the model and layer of bad activations', () => {
    const ok = new Float32Array([1, 2]);
    expect(() => twoModelDiff([ok, new Float32Array(3)], [ok, ok], opts)).toThrow('model A, layer 1: 3 values is not a whole number of rows of 2.');
    expect(() => twoModelDiff([ok, ok], [ok, new Float32Array(3)], opts)).toThrow('model B, layer 1: 3 values is not a whole number of rows of 2.');
    expect(() => twoModelDiff([ok, new Float32Array([1, NaN])], [ok, ok], opts)).toThrow('model A, layer 1: value 1 is NaN;');
    expect(() => twoModelDiff([ok, ok], [ok, new Float32Array([Infinity, 1])], opts)).toThrow('model B, layer 1: value 0 is Infinity;');
  });
  it('normalises each layer on request, and leaves a zero layer zero (hand-computed)', () => {
    // layer 0: diffs (3,4),(3,4) -> (0.6, 0.8); layer 1: zero difference stays (0, 0); layer 2: (-2, 0) -> (-1, 0).
    const a = [new Float32Array([3, 4, 4, 6]), new Float32Array([1, 1, 1, 1]), new Float32Array([0, 5, 0, 5])];
    const b = [new Float32Array([0, 0, 1, 2]), new Float32Array([1, 1, 1, 1]), new Float32Array([2, 5, 2, 5])];
    const { vectors, meta } = twoModelDiff(a, b, { ...opts, normalize: true });
    expect(Array.from(vectors)).toEqual([0.6, 0.8, 0, 0, -1, 0].map(Math.fround));
    expect(meta.normalized).toBe(true);
    // Unnormalised: the mean differences themselves, every layer in its own row.
    expect(Array.from(twoModelDiff(a, b, opts).vectors)).toEqual([3, 4, 0, 0, -2, 0]);
  });
});
