import { describe, expect, it } from 'vitest';
import { cosine, dot, meanRows, norm, rowCount, rowOf, unit } from '../../src/engine/shared/linalg';

describe('linalg', () => {
  it('dot, norm, unit, cosine', () => {
    expect(dot([1, 2, 3], [4, 5, 6])).toBe(32);
    expect(norm([3, 4])).toBe(5);
    expect(Array.from(unit([3, 4]))).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect(cosine([1, 0], [0, 1])).toBe(0);
    expect(cosine([1, 1], [2, 2])).toBeCloseTo(1, 12);
    expect(cosine([0, 0], [1, 1])).toBe(0);
  });
  it('refuses to normalise a zero vector and mismatched lengths', () => {
    expect(() => unit([0, 0])).toThrow(/zero vector/);
    expect(() => dot([1], [1, 2])).toThrow(/lengths differ/);
  });
  it('meanRows averages columns', () => {
    expect(Array.from(meanRows(new Float32Array([1, 2, 3, 4]), 2, 'x'))).toEqual([2, 3]);
  });
  it('says exactly what is wrong', () => {
    expect(() => dot([1, 2, 3], [1, 2])).toThrow('dot: lengths differ (3 vs 2).');
    expect(() => unit([0, 0])).toThrow('Cannot normalise a zero vector: it has no direction.');
    // NaN has no direction either (NaN > 0 is false).
    expect(() => unit([NaN, 1])).toThrow(/zero vector/);
    expect(() => rowCount(new Float32Array(5), 2, 'acts')).toThrow('acts: 5 values is not a whole number of rows of 2.');
    expect(() => rowCount(new Float32Array(4), 0, 'acts')).toThrow('acts: 4 values is not a whole number of rows of 0.');
    expect(() => rowCount(new Float32Array(4), -2, 'acts')).toThrow(/not a whole number of rows of -2/);
    expect(() => meanRows(new Float32Array(0), 3, 'acts')).toThrow('acts: no rows to average.');
  });
  it('rowCount, rowOf, cosine and meanRows by hand', () => {
    expect(rowCount(new Float32Array(6), 3, 'x')).toBe(2);
    expect(rowCount(new Float32Array(0), 3, 'x')).toBe(0);
    const m = new Float32Array([1, 2, 3, 4, 5, 6]);
    expect(Array.from(rowOf(m, 3, 1))).toEqual([4, 5, 6]);
    expect(Array.from(rowOf(m, 2, 0))).toEqual([1, 2]);
    // cos between (1, 2) and (3, 1): 5 / (√5 √10) = 1/√2; one zero vector gives 0, not NaN.
    expect(cosine([1, 2], [3, 1])).toBeCloseTo(Math.SQRT1_2, 12);
    expect(cosine([1, 2], [-1, -2])).toBeCloseTo(-1, 12);
    expect(cosine([1, 1], [0, 0])).toBe(0);
    // Three rows of 2: column means (1+3+8)/3 = 4 and (2+4+0)/3 = 2.
    expect(Array.from(meanRows(new Float32Array([1, 2, 3, 4, 8, 0]), 2, 'x'))).toEqual([4, 2]);
    expect(Array.from(unit([0, -2, 0]))).toEqual([0, -1, 0]);
  });
});
