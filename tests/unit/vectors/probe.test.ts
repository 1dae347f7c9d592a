import { describe, expect, it } from 'vitest';
import { createRng, gaussian } from '../../../src/engine/rng';
import { cosine } from '../../../src/engine/linalg';
import { auroc, probeByLayer, trainProbe } from '../../../src/engine/vectors/probe';

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
