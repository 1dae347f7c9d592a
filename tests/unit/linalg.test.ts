import { describe, expect, it } from 'vitest';
import { cosine, dot, meanRows, norm, unit } from '../../src/engine/linalg';

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
});
