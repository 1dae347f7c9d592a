/**
 * Seeded random numbers for sampling. Same seed, same stream, on every host (no Math.random), so a shared
 * link with a seed regenerates the same text. mulberry32 for the stream, seeded through splitmix32. The one
 * generator of the engine: sampling, probe splits, random controls and shuffles all draw from it, so a seed
 * reproduces a whole experiment. It sits beside the runtime and the clients (not in either) because both draw from it.
 */

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
}

/** splitmix32 finalizer: a well-mixed 32-bit hash of x. */
export function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** mulberry32: 32-bit state, period 2^32, fine for picking tokens. Non-integer seeds are truncated. */
export function createRng(seed: number): Rng {
  let state = splitmix32(Math.trunc(seed) >>> 0);
  return {
    next(): number {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), state | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** Standard normal via Box-Muller; 1 - u keeps log away from 0. */
export function gaussian(rng: Rng): number {
  const u = 1 - rng.next();
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Fisher-Yates on a copy. */
export function shuffled<T>(xs: readonly T[], rng: Rng): T[] {
  const out = xs.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
