/** Percentiles and the ROC threshold against hand-computed values. */
import { describe, expect, it } from 'vitest';
import { percentile, rocThreshold } from '../../../src/engine/clients/vectors/thresholds';

describe('percentile', () => {
  it('interpolates between order statistics as numpy does', () => {
    // numpy.percentile([1, 2, 3, 4], [0, 25, 50, 90, 100]) = [1, 1.75, 2.5, 3.7, 4]
    const xs = [4, 1, 3, 2];
    expect([0, 25, 50, 90, 100].map((q) => percentile(xs, q))).toEqual([1, 1.75, 2.5, expect.closeTo(3.7, 12), 4]);
  });
  it('refuses an empty set and a percentile out of range', () => {
    expect(() => percentile([], 50)).toThrow(/No values/);
    expect(() => percentile([1], 101)).toThrow(/within 0..100/);
  });
});

describe('rocThreshold', () => {
  it('separable sets: AUC 1 and a cut between them', () => {
    const r = rocThreshold([3, 4, 5], [0, 1, 2]);
    expect(r.auc).toBe(1);
    expect(r.best).toEqual({ threshold: 2.5, tpr: 1, fpr: 0 });
    expect(r.points[0]).toEqual({ threshold: -1, tpr: 1, fpr: 1 });
    expect(r.points[r.points.length - 1]).toEqual({ threshold: 6, tpr: 0, fpr: 0 });
  });
  it('overlapping sets: the Mann–Whitney AUC and Youden cut by hand', () => {
    // pairs (p > q): 2>1, 4>1, 4>3 of 4 pairs, none tied: AUC 3/4. Cut 3.5: tpr 1/2, fpr 0 (J .5);
    // cut 1.5: tpr 1, fpr 1/2 (J .5); the first maximum in cut order wins: 1.5.
    const r = rocThreshold([2, 4], [1, 3]);
    expect(r.auc).toBe(0.75);
    expect(r.best).toEqual({ threshold: 1.5, tpr: 1, fpr: 0.5 });
  });
  it('refuses an empty set', () => expect(() => rocThreshold([], [1])).toThrow(/at least one prompt of each kind/));
});
