/**
 * detectionTable on hand-built activations whose answers are known by construction: which layer separates
 * the two conditions best, the mean detection score of each side, and the per-sample projections.
 */
import { describe, expect, it } from 'vitest';
import { detectionTable } from '../../../src/engine/clients/vectors/detection';
import { diffInMeans } from '../../../src/engine/clients/vectors/diffInMeans';

const N = 8;
const D = 2;
/** N rows (x0 + (i mod 4)·0.5, i): the same spread in both conditions, the conditions differ by x0 only. */
const rows = (x0: number): Float32Array => {
  const m = new Float32Array(N * D);
  for (let i = 0; i < N; i++) { m[i * D] = x0 + (i % 4) * 0.5; m[i * D + 1] = i; }
  return m;
};
/** Layer data: [A, B] per layer. */
const table = (layers: Array<[number, number]>) => {
  const a = layers.map(([xa]) => rows(xa));
  const b = layers.map(([, xb]) => rows(xb));
  const vectors = diffInMeans(a, b, { hiddenSize: D, modelId: 'm', pooling: 'prompt-last' });
  return detectionTable(a, b, vectors, { seed: 3 });
};

// Projections on dim 0 within a condition: {0, 0.5, 1, 1.5} twice; mean 0.75, sample variance 2.5/7.
const SD = Math.sqrt(2.5 / 7);

describe('detectionTable', () => {
  it('recommends the layer that separates the conditions best, not the first or the last', () => {
    // L0: identical conditions; L1: heavy overlap (shift 0.25); L2: far apart (gap 20); L3: apart, gap 2.
    const r = table([[0, 0], [0.25, 0], [10, -10], [1, -1]]);
    expect(r.recommendedLayer).toBe(2);
    expect(r.layers.map((l) => l.layer)).toEqual([0, 1, 2, 3]);
  });

  it('recommends a middle layer in either position, and breaks exact ties towards the earlier layer', () => {
    expect(table([[10, -10], [0, 0], [0.25, 0]]).recommendedLayer).toBe(0);
    expect(table([[0, 0], [0, 0], [1, -1], [10, -10], [1, -1]]).recommendedLayer).toBe(3);
    // Layers 1 and 2 identical: the earlier one.
    expect(table([[0, 0], [10, -10], [10, -10], [0, 0]]).recommendedLayer).toBe(1);
  });

  it('ranks by held-out probe AUROC before separation', () => {
    // L1 has the larger Cohen's d only if overlap were ignored; L0 is perfectly separable, L1 overlaps:
    // x0 = 0.6 vs 0 leaves the samples interleaved (A 0.6…2.1, B 0…1.5), so its probe cannot reach AUROC 1.
    const r = table([[1, -1], [0.6, 0]]);
    expect(r.layers[0].probeHeldOutAuroc).toBe(1);
    expect(r.layers[1].probeHeldOutAuroc).toBeLessThan(1);
    expect(r.recommendedLayer).toBe(0);
  });

  it('reports hand-computed means, separation, projections and AUROCs', () => {
    const r = table([[0, 0], [10, -10]]);
    const l1 = r.layers[1];
    // Direction (20, 0) / 20 = (1, 0): scores are x0 + (i mod 4)·0.5.
    expect(l1.meanA).toBeCloseTo(10.75, 5);
    expect(l1.meanB).toBeCloseTo(-9.25, 5);
    expect(l1.separation).toBeCloseTo(20 / SD, 4);
    expect(r.scores.a[1]).toEqual([10, 10.5, 11, 11.5, 10, 10.5, 11, 11.5]);
    expect(r.scores.b[1]).toEqual([-10, -9.5, -9, -8.5, -10, -9.5, -9, -8.5]);
    expect(l1.scoreAuroc).toBe(1);
    expect(l1.probeHeldOutAccuracy).toBe(1);
    // Identical conditions: no direction, every score 0, AUROC one half, no separation.
    const l0 = r.layers[0];
    expect(r.scores.a[0]).toEqual(Array(N).fill(0));
    expect(r.scores.b[0]).toEqual(Array(N).fill(0));
    expect(l0.scoreAuroc).toBe(0.5);
    expect(l0.separation).toBe(0);
    expect(l0.meanA).toBeCloseTo(l0.meanB, 12);
  });

  it('passes the vector set through and scores each condition on its own row count', () => {
    const a = [rows(1)];
    const b = [rows(-1).slice(0, 3 * D)];
    const vectors = diffInMeans(a, b, { hiddenSize: D, modelId: 'm', pooling: 'prompt-last' });
    const r = detectionTable(a, b, vectors);
    expect(r.vectors).toBe(vectors);
    expect(r.scores.a[0]).toHaveLength(N);
    expect(r.scores.b[0]).toHaveLength(3);
    // A's mean is (1.75, 3.5); B keeps rows i = 0, 1, 2: (−1, 0), (−0.5, 1), (0, 2), mean (−0.5, 1).
    // Direction (2.25, 2.5)/|…|; B's row (−0.5, 1) scores (−1.125 + 2.5)/|…|.
    const len = Math.hypot(2.25, 2.5);
    expect(r.scores.b[0][1]).toBeCloseTo(1.375 / len, 5);
    expect(r.scores.b[0][0]).toBeCloseTo(-2.25 / len, 5);
  });
});
