import { describe, expect, it } from 'vitest';
import { cosineMatrix, layerCosineMatrix, layerwiseCosine, projectTokens, responseMeanProjection } from '../../../src/engine/clients/vectors/projection';

// B=1, S=3, D=2: tokens (1,0), (0,2), (3,4)
const capture = { shape: [1, 3, 2] as [number, number, number], data: new Float32Array([1, 0, 0, 2, 3, 4]) };

describe('projection', () => {
  it('projects each token onto the normalised direction', () => {
    // direction (0, 5) -> u = (0, 1): projections 0, 2, 4
    expect(Array.from(projectTokens(capture, [0, 5]))).toEqual([0, 2, 4]);
  });
  it('averages projections over response tokens', () => {
    const spans = [{ offset: 0, prompt: [0, 1] as [number, number], response: [1, 3] as [number, number] }];
    expect(responseMeanProjection(capture, spans, [0, 1])).toEqual([3]);
    expect(responseMeanProjection(capture, [{ ...spans[0], response: [3, 3] }], [0, 1])[0]).toBeNaN();
  });
  it('refuses a direction of the wrong size', () => {
    expect(() => projectTokens(capture, [1, 2, 3])).toThrow(/hidden size is 2/);
  });
  it('cosine matrices across vectors and across layers', () => {
    const m = cosineMatrix([[1, 0], [0, 1], [1, 1]]);
    expect(m[0][0]).toBe(1);
    expect(m[0][1]).toBe(0);
    expect(m[0][2]).toBeCloseTo(Math.SQRT1_2, 12);
    expect(m[2][0]).toBeCloseTo(m[0][2], 12);
    const set = new Float32Array([1, 0, 0, 1, -1, 0]);
    expect(layerCosineMatrix(set, 2)).toEqual([[1, 0, -1], [0, 1, 0], [-1, 0, 1]]);
    expect(layerwiseCosine(set, new Float32Array([2, 0, 1, 0, 1, 0]), 2)).toEqual([1, 0, -1]);
  });
  it('a response span that ends before it starts projects to NaN, not -0', () => {
    const spans = [{ offset: 0, prompt: [0, 1] as [number, number], response: [2, 1] as [number, number] }];
    expect(responseMeanProjection(capture, spans, [0, 1])[0]).toBeNaN();
  });
  it('the diagonal is exactly 1 even where a·a / (|a| |a|) rounds below 1', () => {
    // 0.1, 0.2, 0.3 in float64: dot = 0.14000000000000001, its sqrt squared is not exactly dot.
    const vs = [[0.1, 0.2, 0.3], [1e-3, 7, 3.3], [0.7, 0.1, 0.9], [1, 2, 3]];
    const raw = vs.map((v) => v.reduce((a, x) => a + x * x, 0) / Math.sqrt(v.reduce((a, x) => a + x * x, 0)) ** 2);
    expect(raw.some((c) => c !== 1)).toBe(true);
    expect(cosineMatrix(vs).map((r, i) => r[i])).toEqual([1, 1, 1, 1]);
  });
});
