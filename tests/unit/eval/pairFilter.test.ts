/**
 * The effective-pair rule of the persona-vectors paper, at its boundaries: a pair is kept when the positive
 * answer scores ≥ 50 on the trait, the negative < 50, and both are coherent (≥ 50). Expected verdicts are
 * written by hand from that rule.
 */
import { describe, expect, it } from 'vitest';
import { isKeptPair, pairVerdict, type FilterThresholds } from '../../../src/engine/clients/eval/pairFilter';
import type { TraitScore } from '../../../src/engine/clients/eval/scoring';

const T: FilterThresholds = { posMin: 50, negMax: 50, minCoherence: 50, judgeCoherence: true, keepUnscored: false };
const side = (trait: number | null, coherence: number | null = 90, answer = 'an answer') => ({ answer, score: { trait, coherence } as TraitScore });
const keep = (pos: ReturnType<typeof side>, neg: ReturnType<typeof side>, t: Partial<FilterThresholds> = {}) => isKeptPair(pos, neg, { ...T, ...t });

describe('isKeptPair / pairVerdict (the one effective-pair filter: persona-vectors rule)', () => {
  it('keeps a positive answer scoring exactly 50 and drops one scoring 49', () => {
    expect(keep(side(50), side(0))).toBe(true);
    expect(keep(side(49), side(0))).toBe(false);
    expect(keep(side(49.9), side(0))).toBe(false);
    expect(keep(side(100), side(0))).toBe(true);
  });

  it('keeps a negative answer scoring 49 and drops one scoring exactly 50', () => {
    expect(keep(side(90), side(49))).toBe(true);
    expect(keep(side(90), side(49.9))).toBe(true);
    expect(keep(side(90), side(50))).toBe(false);
    expect(keep(side(90), side(80))).toBe(false);
  });

  it('needs both answers coherent ≥ 50: exactly 50 passes, 49 fails, on either side', () => {
    expect(keep(side(90, 50), side(10, 50))).toBe(true);
    expect(keep(side(90, 49), side(10, 90))).toBe(false);
    expect(keep(side(90, 90), side(10, 49))).toBe(false);
  });

  it('uses the thresholds it is given, not fixed ones', () => {
    expect(keep(side(60), side(10), { posMin: 70 })).toBe(false);
    expect(keep(side(70), side(10), { posMin: 70 })).toBe(true);
    expect(keep(side(90), side(30), { negMax: 30 })).toBe(false);
    expect(keep(side(90), side(29), { negMax: 30 })).toBe(true);
    expect(keep(side(90, 70), side(10, 70), { minCoherence: 71 })).toBe(false);
    expect(keep(side(90, 71), side(10, 71), { minCoherence: 71 })).toBe(true);
  });

  it('ignores coherence when it is not judged (every coherence null)', () => {
    expect(keep(side(90, null), side(10, null), { judgeCoherence: false })).toBe(true);
    expect(keep(side(90, 0), side(10, 0), { judgeCoherence: false })).toBe(true);
    expect(keep(side(40, null), side(10, null), { judgeCoherence: false })).toBe(false);
    // Judged but missing: dropped.
    expect(keep(side(90, null), side(10, 90))).toBe(false);
    expect(keep(side(90, 90), side(10, null))).toBe(false);
  });

  it('drops a pair with an unscored trait unless keepUnscored, which then checks only the scores that exist', () => {
    expect(keep(side(null), side(10))).toBe(false);
    expect(keep(side(90), side(null))).toBe(false);
    expect(keep(side(null), side(10), { keepUnscored: true })).toBe(true);
    expect(keep(side(90), side(null), { keepUnscored: true })).toBe(true);
    expect(keep(side(90, null), side(10, null), { keepUnscored: true })).toBe(true);
    expect(keep(side(null), side(60), { keepUnscored: true })).toBe(false);
    expect(keep(side(40), side(null), { keepUnscored: true })).toBe(false);
    expect(keep(side(90, 20), side(null, null), { keepUnscored: true })).toBe(false);
  });

  it('drops a pair whose positive or negative answer is empty or blank', () => {
    expect(keep(side(90, 90, ''), side(10))).toBe(false);
    expect(keep(side(90), side(10, 90, '  \n'))).toBe(false);
    expect(keep(side(90, 90, ' x '), side(10, 90, 'y'))).toBe(true);
  });
});

describe('pairVerdict: the reason the pipeline view shows for a dropped pair', () => {
  const why = (pos: ReturnType<typeof side>, neg: ReturnType<typeof side>, t: Partial<FilterThresholds> = {}) => pairVerdict(pos, neg, { ...T, ...t });
  it('names the failing rule with the numbers involved', () => {
    expect(why(side(80), side(10))).toBeNull();
    expect(why(side(49), side(10))).toBe('positive trait 49 < 50');
    expect(why(side(80), side(50))).toBe('negative trait 50 ≥ 50');
    expect(why(side(80, 90), side(10, 20))).toBe('coherence below 50');
    expect(why(side(80), side(10, 90, '  '))).toBe('empty response');
    expect(why(side(null), side(10))).toBe('judge gave no trait score');
    expect(why(side(80, null), side(10))).toBe('judge gave no coherence score');
    expect(why(side(80, null), side(10), { judgeCoherence: false })).toBeNull();
  });
});
