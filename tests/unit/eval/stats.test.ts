import { describe, expect, it } from 'vitest';
import { gaussian, mean, mulberry32, randomDirectionLike, sd, shuffled, summarize, summarizeSweep } from '../../../src/engine/eval/stats';

describe('stats', () => {
  it('mean and sample sd (hand-computed)', () => {
    expect(mean([2, 4, 4, 4, 5, 5, 7, 9])).toBe(5);
    expect(sd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(sd([3])).toBe(0);
    expect(mean([])).toBeNaN();
    expect(summarize([1, 3])).toMatchObject({ n: 2, mean: 2, sd: Math.SQRT2, sem: 1, min: 1, max: 3 });
  });

  it('summarises sweeps per coefficient, counting unscored samples separately', () => {
    const s = summarizeSweep([
      { coeff: 2, score: 80 }, { coeff: 0, score: 10 }, { coeff: 2, score: 60 }, { coeff: 0, score: null }, { coeff: 0, score: 20 },
    ]);
    expect(s.map((x) => x.coeff)).toEqual([0, 2]);
    expect(s[0]).toMatchObject({ n: 2, mean: 15, unscored: 1 });
    expect(s[1]).toMatchObject({ n: 2, mean: 70, unscored: 0 });
    expect(s[1].sd).toBeCloseTo(Math.sqrt(200), 12);
  });

  it('seeded RNG is reproducible and roughly uniform / normal', () => {
    const a = mulberry32(42), b = mulberry32(42);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    const r = mulberry32(1);
    const g = Array.from({ length: 20000 }, () => gaussian(r));
    expect(Math.abs(mean(g))).toBeLessThan(0.03);
    expect(Math.abs(sd(g) - 1)).toBeLessThan(0.03);
    expect(shuffled([1, 2, 3, 4, 5], mulberry32(3)).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('random direction control: same norm, seeded, nearly orthogonal in high dimension', () => {
    const v = new Float32Array(1024).fill(0.5); // norm 16
    const r1 = randomDirectionLike(v, 7);
    const r2 = randomDirectionLike(v, 7);
    expect(Array.from(r1)).toEqual(Array.from(r2));
    expect(Math.hypot(...r1)).toBeCloseTo(16, 4);
    let d = 0;
    for (let i = 0; i < v.length; i++) d += r1[i] * v[i];
    expect(Math.abs(d / (16 * 16))).toBeLessThan(0.15);
    expect(Array.from(randomDirectionLike(v, 8))).not.toEqual(Array.from(r1));
    expect(() => randomDirectionLike([0, 0], 1)).toThrow(/non-zero/);
  });
});
