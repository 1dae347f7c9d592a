/**
 * Sampling without vocabulary-sized allocations per step (issue 14): the nucleus sorts only the head of
 * the distribution and reuses buffers. Checked against the definition written out plainly here (sort every
 * token, cut where the cumulative mass first reaches topP), and the reused buffers must not leak one
 * step's state into the next.
 */
import { describe, expect, it } from 'vitest';
import { nucleus, sampleToken, samplingScratch, softmax } from '../../../src/engine/core/runtime/sampling';
import { createRng } from '../../../src/engine/shared/rng';

/** The definition: every token with probability, most probable first (ties by index), up to topP. */
function naive(probs: Float64Array, topP: number): number[] {
  const order = Array.from(probs.keys()).filter((i) => probs[i] > 0).sort((a, b) => probs[b] - probs[a] || a - b);
  const kept: number[] = [];
  let mass = 0;
  for (const i of order) {
    kept.push(i);
    mass += probs[i];
    if (mass >= topP) break;
  }
  return kept;
}

function logitsFor(seed: number, V: number, spread: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: V }, () => (rng.next() - 0.5) * spread);
}

describe('nucleus', () => {
  it('equals the full sort on flat, peaked and tied distributions', () => {
    let cases = 0;
    for (const spread of [0.01, 2, 20, 200]) {
      for (const seed of [1, 2, 3]) {
        const logits = logitsFor(seed * 31 + spread, 5000, spread);
        // ties and impossible tokens
        for (let i = 0; i < 50; i++) logits[i * 7] = logits[3];
        for (let i = 0; i < 20; i++) logits[4000 + i] = -Infinity;
        for (const t of [0.3, 1, 2]) {
          const p = softmax(logits, t);
          for (const topP of [1e-9, 0.1, 0.5, 0.9, 0.999, 0.999999]) {
            expect(nucleus(p, topP), `spread ${spread} seed ${seed} T ${t} topP ${topP}`).toEqual(naive(p, topP));
            cases++;
          }
        }
      }
    }
    expect(cases).toBe(4 * 3 * 3 * 6);
  });
});

describe('sampleToken with a reused scratch', () => {
  it('draws the same tokens as with fresh buffers, step after step, whatever the previous step left', () => {
    const scratch = samplingScratch();
    const a = createRng(7);
    const b = createRng(7);
    for (let step = 0; step < 40; step++) {
      const V = step % 3 === 0 ? 3000 : 5000; // the scratch holds a longer previous step's values
      const logits = logitsFor(step, V, step % 2 ? 30 : 3);
      const s = { temperature: 0.8, topP: step % 4 === 0 ? 1 : 0.9 };
      expect(sampleToken(logits, s, a, scratch)).toBe(sampleToken(logits, s, b));
    }
  });
});
