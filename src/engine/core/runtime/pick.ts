/**
 * Token choice per batch row. Each row gets its own RNG seeded with the request's seed, so a row
 * samples exactly as it would alone: baseline and steered rows with one seed are comparable, and
 * a sweep row matches a single run of that coefficient.
 */
import type { Sampling } from '../../shared/api';
import { createRng, type Rng } from '../../shared/rng';
import { sampleToken, samplingScratch } from './sampling';

export function makePicker(samplings: Sampling[]): (row: number, logits: Float32Array) => number {
  const rngs: Rng[] = samplings.map((s) => createRng(s.seed ?? 0));
  const scratch = samplingScratch(); // reused by every row and step: nothing vocabulary-sized per token
  return (row, logits) => sampleToken(logits, samplings[row], rngs[row], scratch);
}

/** The k most likely tokens with log-probabilities (log-softmax in float64), most likely first. */
export function topLogprobs(logits: Float32Array, k: number): { token: number; logprob: number }[] {
  let max = -Infinity;
  for (const x of logits) if (x > max) max = x;
  let sum = 0;
  for (const x of logits) sum += Math.exp(x - max);
  const logZ = max + Math.log(sum);
  const top: number[] = [];
  for (let i = 0; i < logits.length; i++) {
    if (top.length < k || logits[i] > logits[top[top.length - 1]]) {
      top.push(i);
      top.sort((a, b) => logits[b] - logits[a] || a - b);
      if (top.length > k) top.pop();
    }
  }
  return top.map((token) => ({ token, logprob: logits[token] - logZ }));
}
