import { describe, expect, it } from 'vitest';
import { twoModelDiff } from '../../../src/engine/vectors/twoModel';

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
});
