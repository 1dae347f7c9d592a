/**
 * Seeded random numbers for sampling. Same seed, same stream, on every host (no Math.random), so a shared
 * link with a seed regenerates the same text. mulberry32 for the stream; splitmix32 to turn (seed, stream
 * index) into independent seeds, e.g. one stream per batch row so a row's text does not depend on which
 * other rows ran beside it.
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

/** A seed for sub-stream `stream` of `seed` (e.g. batch row r). */
export function deriveSeed(seed: number, stream: number): number {
  return splitmix32(splitmix32(seed >>> 0) ^ Math.imul(stream + 1, 0x27d4eb2d));
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
