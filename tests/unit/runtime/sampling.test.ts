import { describe, expect, it } from 'vitest';
import { EngineError } from '../../../src/engine/shared/errors';
import { createRng } from '../../../src/engine/shared/rng';
import { argmax, checkSampling, isGreedy, nucleus, sampleToken, softmax } from '../../../src/engine/core/runtime/sampling';

describe('greedy', () => {
  it('takes the argmax, lowest index on ties, ignoring NaN', () => {
    expect(argmax([0.1, 3, 2, 3])).toBe(1);
    expect(argmax(new Float32Array([-5, -1, -1]))).toBe(1);
    expect(argmax([NaN, 1, NaN, 2])).toBe(3);
    expect(argmax([-Infinity, -Infinity])).toBe(0);
  });

  it('is used for temperature 0 or absent, without advancing the rng', () => {
    const rng = createRng(1);
    const before = createRng(1).next();
    expect(sampleToken([1, 5, 2], undefined, rng)).toBe(1);
    expect(sampleToken([1, 5, 2], { temperature: 0, topP: 0.5, seed: 3 }, rng)).toBe(1);
    expect(rng.next()).toBe(before);
    expect(isGreedy({})).toBe(true);
    expect(isGreedy({ temperature: 0.7 })).toBe(false);
  });
});

describe('softmax', () => {
  it('is stable for large logits and sums to 1', () => {
    const p = softmax([1000, 1001, 999]);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(p[1]).toBeGreaterThan(p[0]);
  });
  it('sharpens with low temperature and flattens with high', () => {
    expect(softmax([0, 1], 0.1)[1]).toBeGreaterThan(0.9999);
    expect(softmax([0, 1], 100)[1]).toBeLessThan(0.51);
  });
  it('gives NaN no mass and +Infinity all of it', () => {
    expect(Array.from(softmax([NaN, 0, 0]))).toEqual([0, 0.5, 0.5]);
    expect(Array.from(softmax([0, Infinity, 1]))).toEqual([0, 1, 0]);
  });
});

describe('nucleus', () => {
  it('keeps the most probable tokens until the mass reaches topP, including the crossing one', () => {
    const p = new Float64Array([0.1, 0.5, 0.3, 0.1]);
    expect(nucleus(p, 0.5)).toEqual([1]);
    expect(nucleus(p, 0.6)).toEqual([1, 2]);
    expect(nucleus(p, 0.95)).toEqual([1, 2, 0, 3]);
    expect(nucleus(p, 0.01)).toEqual([1]);
  });
  it('orders ties by lower index', () => {
    expect(nucleus(new Float64Array([0.25, 0.25, 0.25, 0.25]), 0.5)).toEqual([0, 1]);
  });
});

describe('sampleToken', () => {
  const logits = Float32Array.from([2, 1, 0.5, 0, -1, -3]);

  it('is deterministic for a seed', () => {
    const run = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 50 }, () => sampleToken(logits, { temperature: 1, topP: 0.9 }, rng));
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });

  it('matches the softmax distribution at temperature 1', () => {
    const rng = createRng(11);
    const counts = new Array(logits.length).fill(0);
    const n = 40000;
    for (let i = 0; i < n; i++) counts[sampleToken(logits, { temperature: 1 }, rng)]++;
    const p = softmax(logits);
    counts.forEach((c, i) => expect(Math.abs(c / n - p[i])).toBeLessThan(0.01));
  });

  it('never draws outside the nucleus', () => {
    const rng = createRng(3);
    const kept = new Set(nucleus(softmax(logits, 0.8), 0.7));
    for (let i = 0; i < 2000; i++) expect(kept.has(sampleToken(logits, { temperature: 0.8, topP: 0.7 }, rng))).toBe(true);
  });

  it('never draws a -Infinity logit, and falls back to argmax when nothing is drawable', () => {
    const rng = createRng(9);
    for (let i = 0; i < 500; i++) expect(sampleToken([-Infinity, 0, -Infinity, 0], { temperature: 2 }, rng)).not.toBe(0);
    expect(sampleToken([-Infinity, -Infinity], { temperature: 1 }, rng)).toBe(0);
  });
});

describe('checkSampling', () => {
  it('accepts sane settings and rejects the rest with bad-input', () => {
    expect(() => checkSampling({ temperature: 0.7, topP: 0.9, seed: 1 })).not.toThrow();
    expect(() => checkSampling(undefined)).not.toThrow();
    for (const bad of [{ temperature: -1 }, { temperature: NaN }, { topP: 0 }, { topP: 1.5 }, { seed: Infinity }]) {
      try {
        checkSampling(bad);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(EngineError);
        expect((e as EngineError).code).toBe('bad-input');
      }
    }
  });
});
