import { describe, expect, it } from 'vitest';
import { mean, randomDirectionLike, sd, summarize, summarizeFinite } from '../../../src/engine/clients/eval/stats';
import { createRng, gaussian, shuffled } from '../../../src/engine/shared/rng';

describe('stats', () => {
  it('mean and sample sd (hand-computed)', () => {
    expect(mean([2, 4, 4, 4, 5, 5, 7, 9])).toBe(5);
    expect(sd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(sd([3])).toBe(0);
    expect(mean([])).toBeNaN();
    expect(summarize([1, 3])).toMatchObject({ n: 2, mean: 2, sd: Math.SQRT2, sem: 1, min: 1, max: 3 });
  });

  it('summarizeFinite leaves out nulls, NaN and infinities; sd is the sample sd', () => {
    expect(summarizeFinite([1, 2, 3, NaN, null, Infinity])).toMatchObject({ n: 3, mean: 2, sd: 1 });
    expect(summarizeFinite([5, null])).toMatchObject({ n: 1, mean: 5, sd: 0 });
    expect(summarizeFinite([null, NaN]).n).toBe(0);
  });

  it('seeded RNG is reproducible and roughly uniform / normal', () => {
    const a = createRng(42), b = createRng(42);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    const r = createRng(1);
    const g = Array.from({ length: 20000 }, () => gaussian(r));
    expect(Math.abs(mean(g))).toBeLessThan(0.03);
    expect(Math.abs(sd(g) - 1)).toBeLessThan(0.03);
    expect(shuffled([1, 2, 3, 4, 5], createRng(3)).sort()).toEqual([1, 2, 3, 4, 5]);
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

/** A scripted generator: returns the given values in turn (then repeats the last one). */
const scripted = (...xs: number[]) => { let i = 0; return { next: () => xs[Math.min(i++, xs.length - 1)] }; };

describe('shuffled (Fisher-Yates)', () => {
  it('follows Fisher-Yates step by step (hand-traced with a scripted generator)', () => {
    // rng() = 0 every time: j = 0 at each i = 4..1, swapping a[i] and a[0]:
    // [1,2,3,4,5] → [5,2,3,4,1] → [4,2,3,5,1] → [3,2,4,5,1] → [2,3,4,5,1].
    expect(shuffled([1, 2, 3, 4, 5], scripted(0))).toEqual([2, 3, 4, 5, 1]);
    // rng() just below 1: j = i each time, no element moves.
    expect(shuffled([1, 2, 3, 4, 5], scripted(0.999))).toEqual([1, 2, 3, 4, 5]);
    // i=3: j=floor(0.5·4)=2 → [a,b,d,c]; i=2: j=floor(0.1·3)=0 → [d,b,a,c]; i=1: j=floor(0.7·2)=1 → unchanged.
    expect(shuffled(['a', 'b', 'c', 'd'], scripted(0.5, 0.1, 0.7))).toEqual(['d', 'b', 'a', 'c']);
  });

  it('draws exactly n − 1 numbers and leaves its input untouched', () => {
    let calls = 0;
    const input = [1, 2, 3, 4, 5, 6];
    const out = shuffled(input, { next: () => { calls++; return 0.3; } });
    expect(calls).toBe(5);
    expect(input).toEqual([1, 2, 3, 4, 5, 6]);
    expect(out).not.toBe(input);
    expect(shuffled([], scripted(0))).toEqual([]);
    expect(shuffled([7], scripted(0))).toEqual([7]);
  });

  it('makes every permutation of 3 items about equally often (chi-square, 5 degrees of freedom)', () => {
    const rng = createRng(11);
    const counts = new Map<string, number>();
    const N = 6000;
    for (let k = 0; k < N; k++) {
      const key = shuffled([0, 1, 2], rng).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['012', '021', '102', '120', '201', '210']);
    const chi2 = [...counts.values()].reduce((a, c) => a + (c - N / 6) ** 2 / (N / 6), 0);
    expect(chi2).toBeLessThan(20.5); // p ≈ 0.001 for 5 degrees of freedom
  });
});

describe('stats by hand', () => {
  it('gaussian is Box-Muller on (1 − u, v)', () => {
    // 1 − u = e^{-1/2} → √(−2 ln) = 1; cos(2π·0) = 1, cos(2π·½) = −1, cos(2π·¼) = 0.
    const u = 1 - Math.exp(-0.5);
    expect(gaussian(scripted(u, 0))).toBeCloseTo(1, 12);
    expect(gaussian(scripted(u, 0.5))).toBeCloseTo(-1, 12);
    expect(gaussian(scripted(u, 0.25))).toBeCloseTo(0, 12);
    // 1 − u = e^{-2} → √4 = 2.
    expect(gaussian(scripted(1 - Math.exp(-2), 0))).toBeCloseTo(2, 12);
    expect(gaussian(scripted(0, 0.3))).toBe(0); // u = 0 → 1 − u = 1 → radius 0, never log(0)
  });

  it('summaries of nothing are NaN and of one value have zero spread', () => {
    expect(sd([])).toBeNaN();
    const e = summarize([]);
    expect(e.n).toBe(0);
    for (const k of ['mean', 'sd', 'sem', 'min', 'max'] as const) expect(e[k]).toBeNaN();
    expect(summarize([4])).toEqual({ n: 1, mean: 4, sd: 0, sem: 0, min: 4, max: 4 });
    expect(summarize([5, -1, 2])).toEqual({ n: 3, mean: 2, sd: 3, sem: 3 / Math.sqrt(3), min: -1, max: 5 });
    expect(mean([1, 2])).toBe(1.5);
    expect(sd([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(5 / 3), 14);
  });

  it('randomDirectionLike refuses a NaN reference and keeps the length of a one-element one', () => {
    expect(() => randomDirectionLike([NaN, 1], 1)).toThrow(expect.objectContaining({ code: 'bad-input', message: 'The random-direction control needs a non-zero reference vector.' }));
    const r = randomDirectionLike([-3], 5);
    expect(Math.abs(r[0])).toBeCloseTo(3, 5);
    expect(r).toBeInstanceOf(Float32Array);
  });
});
