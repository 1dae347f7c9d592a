import { describe, expect, it } from 'vitest';
import { createRng, gaussian, type Rng } from '../../../src/engine/shared/rng';
import { bestSeparatedLayer, cappedSeparation, preferredLayer, inSampleSeparation, leaveOneOutSeparation, SEPARATION_CAP, separationByLayer } from '../../../src/engine/clients/vectors/separation';

/** n samples of N(0, I) + shift * u in D dims. */
function cloud(n: number, D: number, u: Float64Array, shift: number, rng: Rng): Float32Array {
  const out = new Float32Array(n * D);
  for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) out[i * D + j] = gaussian(rng) + shift * u[j];
  return out;
}

describe('separation', () => {
  it('matches a hand computation on 1-D data', () => {
    // pos projections 3, 5 (mean 4, var 2); neg 0, 2 (mean 1, var 2); pooled sd sqrt(2); d = 3/sqrt(2)
    const s = inSampleSeparation(new Float32Array([3, 5]), new Float32Array([0, 2]), 1);
    expect(s.meanPos).toBeCloseTo(4, 12);
    expect(s.meanNeg).toBeCloseTo(1, 12);
    expect(s.pooledSd).toBeCloseTo(Math.SQRT2, 12);
    expect(s.separation).toBeCloseTo(3 / Math.SQRT2, 12);
  });

  it('ranks the planted layer first', () => {
    const rng = createRng(7);
    const D = 16, n = 60, planted = 3;
    const u = new Float64Array(D);
    u[5] = 1;
    const pos: Float32Array[] = [], neg: Float32Array[] = [];
    for (let l = 0; l < 6; l++) {
      const shift = l === planted ? 1.5 : 0.25;
      pos.push(cloud(n, D, u, shift, rng));
      neg.push(cloud(n, D, u, -shift, rng));
    }
    const r = separationByLayer(pos, neg, D);
    expect(r.recommendedLayer).toBe(planted);
    expect(r.ranking[0]).toBe(planted);
    expect(r.ranking).toHaveLength(6);
    expect(r.layers[planted].separation).toBeGreaterThan(2 * r.layers[r.ranking[1]].separation);
  });

  it('reports infinite separation for zero-spread, distinct classes', () => {
    expect(inSampleSeparation(new Float32Array([1, 1]), new Float32Array([0, 0]), 1).separation).toBe(Infinity);
  });
});

describe('leave-one-out separation (the quick-contrast panel) vs in-sample (pipeline, detection)', () => {
  it('leaveOneOutSeparation: large when the sets separate along the difference, ~0 for shuffled noise', () => {
    let s = 3;
    const r = () => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5;
    const noisy = (shift: number) => Array.from({ length: 8 }, () => Float32Array.from({ length: 64 }, (_, d) => r() + (d === 0 ? shift : 0)));
    const separated = leaveOneOutSeparation(noisy(3), noisy(-3));
    expect(separated).toBeGreaterThan(5);
    const same = leaveOneOutSeparation(noisy(0), noisy(0));
    expect(Math.abs(same)).toBeLessThan(2);
    expect(same).toBeLessThan(separated / 3);
  });


  it('on 1-D data by hand: leave-one-out gives √2 where in-sample gives 3/√2', () => {
    // pos 3, 5; neg 0, 2. Leave-one-out scores: pos 3 → direction 5−1, midpoint 3 → 0; pos 5 → 3−1, mid 2 → 3;
    // neg 0 → 4−2, mid 3 → −3; neg 2 → 4−0, mid 2 → 0. Means ±1.5, variances 4.5, pooled sd √4.5, d = 3/√4.5 = √2.
    const v = (...x: number[]) => x.map((y) => Float32Array.from([y]));
    expect(leaveOneOutSeparation(v(3, 5), v(0, 2))).toBeCloseTo(Math.SQRT2, 12);
    expect(inSampleSeparation(new Float32Array([3, 5]), new Float32Array([0, 2]), 1).separation).toBeCloseTo(3 / Math.SQRT2, 12);
    expect(leaveOneOutSeparation(v(1, 1), v(0, 0))).toBe(Infinity);
    expect(() => leaveOneOutSeparation([], v(0))).toThrow(/at least one sample/);
  });
});

describe('separation for storage and choice', () => {
  it('caps +Infinity only, and picks the first best layer with Infinity winning and NaN never', () => {
    expect(cappedSeparation(Infinity)).toBe(SEPARATION_CAP);
    expect(cappedSeparation(2.5)).toBe(2.5);
    expect(cappedSeparation(-1)).toBe(-1);
    expect(bestSeparatedLayer([1, 3, 3, 2])).toBe(1);
    expect(bestSeparatedLayer([1, Infinity, 1e9])).toBe(1);
    expect(bestSeparatedLayer([NaN, 0.5, NaN])).toBe(1);
    expect(bestSeparatedLayer([-2, -1])).toBe(1);
    expect(bestSeparatedLayer([])).toBe(-1);
  });

  it('preferredLayer: the best-separated layer the vector has, else its middle layer', () => {
    expect(preferredLayer([5, 1, 9, 2], [0, 1, 3])).toBe(0); // layer 2 separates best but the vector lacks it
    expect(preferredLayer([5, 1, 9, 2], [0, 1, 2, 3])).toBe(2);
    expect(preferredLayer(undefined, [4, 5, 6])).toBe(5);
    expect(preferredLayer([NaN, NaN], [0, 1])).toBe(1);
    expect(preferredLayer([1], [])).toBe(-1);
  });
  it('names the class and layer of bad input, and ranks tied layers earliest first', () => {
    const three = new Float32Array([0, 1, 2]);
    expect(() => inSampleSeparation(new Float32Array(0), three, 1, 4)).toThrow('positive: no rows to average.');
    expect(() => inSampleSeparation(three, new Float32Array(0), 1, 4)).toThrow('negative: no rows to average.');
    expect(() => inSampleSeparation(new Float32Array(3), new Float32Array(4), 2, 4)).toThrow('positive, layer 4: 3 values is not a whole number of rows of 2.');
    expect(() => inSampleSeparation(new Float32Array(4), new Float32Array(3), 2, 4)).toThrow('negative, layer 4: 3 values is not a whole number of rows of 2.');
    const pos = new Float32Array([2, 3]);
    const neg = new Float32Array([0, 1]);
    expect(separationByLayer([pos, pos, pos], [neg, neg, neg], 1).ranking).toEqual([0, 1, 2]);
  });
});
