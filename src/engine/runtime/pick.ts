/**
 * Token choice per batch row. Each row gets its own RNG seeded with the request's seed, so a row
 * samples exactly as it would alone: baseline and steered rows with one seed are comparable, and
 * a sweep row matches a single run of that coefficient.
 */
import type { Sampling } from '../api';
import { createRng, type Rng } from './rng';
import { sampleToken } from './sampling';

export function makePicker(samplings: Sampling[]): (row: number, logits: Float32Array) => number {
  const rngs: Rng[] = samplings.map((s) => createRng(s.seed ?? 0));
  return (row, logits) => sampleToken(logits, samplings[row], rngs[row]);
}
