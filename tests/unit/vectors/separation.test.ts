import { describe, expect, it } from 'vitest';
import { gaussian, mulberry32 } from '../../../src/engine/eval/stats';
import { layerSeparation, separationByLayer } from '../../../src/engine/vectors/separation';

/** n samples of N(0, I) + shift * u in D dims. */
function cloud(n: number, D: number, u: Float64Array, shift: number, rng: () => number): Float32Array {
  const out = new Float32Array(n * D);
  for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) out[i * D + j] = gaussian(rng) + shift * u[j];
  return out;
}

describe('separation', () => {
  it('matches a hand computation on 1-D data', () => {
    // pos projections 3, 5 (mean 4, var 2); neg 0, 2 (mean 1, var 2); pooled sd sqrt(2); d = 3/sqrt(2)
    const s = layerSeparation(new Float32Array([3, 5]), new Float32Array([0, 2]), 1);
    expect(s.meanPos).toBeCloseTo(4, 12);
    expect(s.meanNeg).toBeCloseTo(1, 12);
    expect(s.pooledSd).toBeCloseTo(Math.SQRT2, 12);
    expect(s.separation).toBeCloseTo(3 / Math.SQRT2, 12);
  });

  it('ranks the planted layer first', () => {
    const rng = mulberry32(7);
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
    expect(layerSeparation(new Float32Array([1, 1]), new Float32Array([0, 0]), 1).separation).toBe(Infinity);
  });
  it('names the class and layer of bad input, and ranks tied layers earliest first', () => {
    const three = new Float32Array([0, 1, 2]);
    expect(() => layerSeparation(new Float32Array(0), three, 1, 4)).toThrow('positive: no rows to average.');
    expect(() => layerSeparation(three, new Float32Array(0), 1, 4)).toThrow('negative: no rows to average.');
    expect(() => layerSeparation(new Float32Array(3), new Float32Array(4), 2, 4)).toThrow('positive, layer 4: 3 values is not a whole number of rows of 2.');
    expect(() => layerSeparation(new Float32Array(4), new Float32Array(3), 2, 4)).toThrow('negative, layer 4: 3 values is not a whole number of rows of 2.');
    const pos = new Float32Array([2, 3]);
    const neg = new Float32Array([0, 1]);
    expect(separationByLayer([pos, pos, pos], [neg, neg, neg], 1).ranking).toEqual([0, 1, 2]);
  });
});
