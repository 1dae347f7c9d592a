import { describe, expect, it } from 'vitest';
import { createRng, gaussian } from '../../../src/engine/shared/rng';
import { cosine } from '../../../src/engine/shared/linalg';
import { auroc, probeByLayer, trainProbe } from '../../../src/engine/clients/vectors/probe';

function planted(D: number, n: number, seed: number, margin = 1.5, offset = 5) {
  const rng = createRng(seed);
  const u = new Float64Array(D).map(() => gaussian(rng));
  const un = Math.hypot(...u);
  for (let j = 0; j < D; j++) u[j] /= un;
  // Shared offset far from the origin (as residual streams are) so the bias has work to do.
  const mk = (sign: number): Float32Array => {
    const out = new Float32Array(n * D);
    for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) out[i * D + j] = offset + gaussian(rng) + sign * margin * u[j];
    return out;
  };
  return { u, pos: mk(1), neg: mk(-1) };
}

describe('auroc', () => {
  it('is 1 for perfect ranking, 0 for reversed, 0.5 for all ties', () => {
    expect(auroc([0.9, 0.8, 0.1, 0.2], [true, true, false, false])).toBe(1);
    expect(auroc([0.1, 0.2, 0.9, 0.8], [true, true, false, false])).toBe(0);
    expect(auroc([1, 1, 1, 1], [true, false, true, false])).toBe(0.5);
  });
  it('counts ties as half (hand-computed)', () => {
    // pos {3, 2, 2}, neg {2, 1}. Pairs: (3>2)(3>1)(2=2 ->.5)(2>1)(2=2 ->.5)(2>1) = 5 / 6
    expect(auroc([3, 2, 2, 2, 1], [true, true, true, false, false])).toBeCloseTo(5 / 6, 12);
  });
  it('is NaN when a class is missing', () => {
    expect(auroc([1, 2], [true, true])).toBeNaN();
  });
});

/**
 * The two large fits below take ~1 s normally but minutes under mutation testing's instrumentation, for every
 * probe mutant; there (npm run mutate) the small planted-direction test stands in for them.
 */
const underMutation = process.env.STRYKER_MUTATOR_WORKER !== undefined;

describe('trainProbe', () => {
  it('recovers a planted direction in a small problem (D = 8, 40 per class; measured cosines 0.95-0.97)', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const { u, pos, neg } = planted(8, 40, seed);
      const r = trainProbe(pos, neg, 8, { seed });
      expect(cosine(r.direction, u)).toBeGreaterThan(0.9);
      expect(r.heldOutAuroc).toBeGreaterThan(0.9);
      expect(r.trainAccuracy).toBeGreaterThan(0.85);
      expect(r.counts).toEqual({ train: 60, heldOut: 20 });
    }
  });

  it.skipIf(underMutation)('recovers a planted direction (cosine > 0.95) with high held-out accuracy and AUROC', () => {
    const D = 32;
    for (const seed of [1, 2, 3]) {
      const { u, pos, neg } = planted(D, 200, seed);
      const r = trainProbe(pos, neg, D, { seed });
      expect(cosine(r.direction, u)).toBeGreaterThan(0.95);
      expect(Math.hypot(...r.direction)).toBeCloseTo(1, 5);
      // Classes sit 3 sd apart along u, so the Bayes accuracy is about 0.93.
      expect(r.heldOutAccuracy).toBeGreaterThan(0.85);
      expect(r.heldOutAuroc).toBeGreaterThan(0.95);
      expect(r.counts).toEqual({ train: 300, heldOut: 100 });
    }
  });

  it.skipIf(underMutation)('works when D is much larger than n (the usual residual-stream case)', () => {
    const D = 512;
    const { u, pos, neg } = planted(D, 60, 2, 3);
    const r = trainProbe(pos, neg, D, { seed: 1 });
    // 45 training samples per class in 512 dims: even the ideal diff-in-means estimate only reaches ~0.78.
    expect(cosine(r.direction, u)).toBeGreaterThan(0.7);
    expect(r.heldOutAccuracy).toBeGreaterThan(0.9);
  });

  it('is deterministic for a seed and the bias places the boundary between the classes', () => {
    const D = 8;
    const { pos, neg } = planted(D, 40, 5);
    const a = trainProbe(pos, neg, D, { seed: 9 });
    const b = trainProbe(pos, neg, D, { seed: 9 });
    expect(Array.from(a.direction)).toEqual(Array.from(b.direction));
    expect(a.bias).toBe(b.bias);
    expect(a.trainAccuracy).toBeGreaterThan(0.9);
  });

  it('puts the decision boundary midway between symmetric classes far from the origin', () => {
    // 1-D: pos at 101, 101.5, 102, ... ; neg mirrored around 100. Boundary x* = -bias / scale must be ~100.
    const pos = new Float32Array(20).map((_, i) => 100.5 + (i % 5) * 0.5);
    const neg = pos.map((v) => 200 - v);
    const r = trainProbe(pos, neg, 1, { seed: 0, testFraction: 0.2 });
    expect(r.direction[0]).toBe(1);
    // The random split drops one sample per class, so the train set is only nearly symmetric.
    expect(Math.abs(-r.bias / r.scale - 100)).toBeLessThan(0.25);
    expect(r.trainAccuracy).toBe(1);
  });

  it('refuses classes with fewer than 2 samples', () => {
    expect(() => trainProbe(new Float32Array(2), new Float32Array(4), 2)).toThrow(/at least 2 samples per class/);
  });

  it('probeByLayer fits one probe per layer', () => {
    const D = 8;
    const a = planted(D, 30, 11);
    const b = planted(D, 30, 12);
    const r = probeByLayer([a.pos, b.pos], [a.neg, b.neg], D);
    expect(r).toHaveLength(2);
    expect(cosine(r[1].direction, b.u)).toBeGreaterThan(0.8);
  });
});

/**
 * An independent float64 fit of the objective the probe documents, written in the primal: features z = (x - mean) / s
 * over the training rows, s = sqrt(Σ|z|² / (n D)), plus a constant feature √D; minimise
 * (1/n) Σ log(1 + exp(-y θ·x̃)) + (λ/2)|θ|² by undamped Newton in D + 1 dimensions with Gauss-Jordan solves.
 * Returns the logit function x ↦ θ·x̃.
 */
function primalFit(trainPos: Float32Array[], trainNeg: Float32Array[], D: number, lambda: number): (x: ArrayLike<number>) => number {
  const X = [...trainPos, ...trainNeg];
  const y = X.map((_, i) => (i < trainPos.length ? 1 : -1));
  const n = X.length;
  const mu = Array.from({ length: D }, (_, j) => X.reduce((a, r) => a + r[j], 0) / n);
  const s = Math.sqrt(X.reduce((a, r) => a + r.reduce((b, v, j) => b + (v - mu[j]) ** 2, 0), 0) / (n * D));
  const feat = (x: ArrayLike<number>): number[] => [...Array.from({ length: D }, (_, j) => (x[j] - mu[j]) / s), Math.sqrt(D)];
  const F = X.map(feat);
  const P = D + 1;
  let th = new Array<number>(P).fill(0);
  for (let it = 0; it < 100; it++) {
    const g = th.map((t) => lambda * t);
    const H = Array.from({ length: P }, (_, a) => Array.from({ length: P }, (_, b) => (a === b ? lambda : 0)));
    for (let i = 0; i < n; i++) {
      const m = y[i] * F[i].reduce((a, v, k) => a + v * th[k], 0);
      const p = 1 / (1 + Math.exp(m)); // σ(-m)
      for (let a = 0; a < P; a++) {
        g[a] -= (y[i] * p * F[i][a]) / n;
        for (let b = 0; b < P; b++) H[a][b] += (p * (1 - p) * F[i][a] * F[i][b]) / n;
      }
    }
    // Gauss-Jordan on [H | g].
    const M = H.map((row, a) => [...row, g[a]]);
    for (let c = 0; c < P; c++) {
      const piv = M[c][c];
      for (let k = c; k <= P; k++) M[c][k] /= piv;
      for (let r = 0; r < P; r++) if (r !== c) { const f = M[r][c]; for (let k = c; k <= P; k++) M[r][k] -= f * M[c][k]; }
    }
    th = th.map((t, a) => t - M[a][P]);
  }
  return (x) => feat(x).reduce((a, v, k) => a + v * th[k], 0);
}

describe('trainProbe against an independent primal fit', () => {
  const rowsOf = (m: Float32Array, D: number): Float32Array[] => Array.from({ length: m.length / D }, (_, i) => m.subarray(i * D, (i + 1) * D));
  const subsets = (n: number, k: number): number[][] => (k === 0 ? [[]] : n < k ? [] : [...subsets(n - 1, k - 1).map((s) => [...s, n - 1]), ...subsets(n - 1, k)]);

  // Overlapping classes (not separable), rows of very different norms so the dual solve has to pivot.
  const D = 3;
  const pos = new Float32Array([4, 1, 0, 0.5, 2, 1, 9, 3, -1, 1, 0.2, 0.3, 2, 2, 2]);
  const neg = new Float32Array([1, 1, 1, -3, 0, 0.5, 0.3, -2, 4, -8, -1, 0, 2.5, 1.5, 0.5]);

  for (const l2 of [0.1, 0.01]) {
    it(`reaches the same optimum (λ = ${l2}): logits, scale and bias`, () => {
      const r = trainProbe(pos, neg, D, { l2, testFraction: 0.2, seed: 3 });
      const P = rowsOf(pos, D);
      const N = rowsOf(neg, D);
      const logit = (x: ArrayLike<number>): number => r.scale * Array.from(x).reduce((a, v, j) => a + v * r.direction[j], 0) + r.bias;
      // The held-out row of each class is the probe's choice; the optimum must match the fit on some split.
      let best = Infinity;
      for (const tp of subsets(5, 4)) for (const tn of subsets(5, 4)) {
        const ref = primalFit(tp.map((i) => P[i]), tn.map((i) => N[i]), D, l2);
        best = Math.min(best, Math.max(...[...P, ...N].map((x) => Math.abs(ref(x) - logit(x)))));
      }
      // direction is float32: logits agree to ~1e-6 of their size.
      expect(best).toBeLessThan(2e-5);
      expect(r.counts).toEqual({ train: 8, heldOut: 2 });
      expect(r.iterations).toBeGreaterThan(2);
      expect(r.iterations).toBeLessThan(20);
    });
  }

  it('refuses one sample in either class, names the counts, and accepts two', () => {
    expect(() => trainProbe(new Float32Array(2), new Float32Array(4), 2)).toThrow('A probe needs at least 2 samples per class (got 1 positive, 2 negative).');
    expect(() => trainProbe(new Float32Array(4), new Float32Array(2), 2)).toThrow('A probe needs at least 2 samples per class (got 2 positive, 1 negative).');
    expect(() => trainProbe(new Float32Array(5), new Float32Array(4), 2)).toThrow('probe positives: 5 values is not a whole number of rows of 2.');
    expect(() => trainProbe(new Float32Array(4), new Float32Array(5), 2)).toThrow('probe negatives: 5 values is not a whole number of rows of 2.');
    const r = trainProbe(new Float32Array([1, 0, 2, 1]), new Float32Array([-1, 0, -2, 1]), 2);
    expect(r.counts).toEqual({ train: 2, heldOut: 2 });
  });
});
