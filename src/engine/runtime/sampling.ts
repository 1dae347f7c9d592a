/**
 * Picking the next token from one row of logits: greedy (temperature 0 or absent), or temperature with
 * optional nucleus (top-p) truncation, drawn from a seeded Rng so a seed reproduces the same text.
 * Probabilities are computed in float64 with the max subtracted, so large logits do not overflow.
 */
import type { Sampling } from '../api';
import { EngineError } from '../errors';
import type { Rng } from './rng';

/** Index of the largest logit; ties go to the lowest index; NaN never wins (an all-NaN row gives 0). */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i];
    if (v > bestValue) { best = i; bestValue = v; }
  }
  return best;
}

export function isGreedy(s: Sampling | undefined): boolean {
  return !s || !s.temperature || s.temperature <= 0;
}

/** Beyond this the distribution is flat noise; a larger value is a typo. */
export const MAX_TEMPERATURE = 10;

/** Throws 'bad-input' for settings that cannot be sampled with. */
export function checkSampling(s: Sampling | undefined): void {
  if (!s) return;
  if (s.temperature !== undefined && !(Number.isFinite(s.temperature) && s.temperature >= 0 && s.temperature <= MAX_TEMPERATURE)) {
    throw new EngineError('bad-input', `sampling.temperature must be between 0 (greedy) and ${MAX_TEMPERATURE}; got ${s.temperature}.`);
  }
  if (s.topP !== undefined && !(s.topP > 0 && s.topP <= 1)) {
    throw new EngineError('bad-input', `sampling.topP must be in (0, 1]; got ${s.topP}.`);
  }
  if (s.seed !== undefined && !Number.isInteger(s.seed)) {
    throw new EngineError('bad-input', `sampling.seed must be an integer; got ${s.seed}.`);
  }
}

/** softmax(logits / temperature) in float64; NaN logits get probability 0. */
export function softmax(logits: ArrayLike<number>, temperature = 1): Float64Array {
  const p = new Float64Array(logits.length);
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  if (max === -Infinity || Number.isNaN(max)) return p;
  if (max === Infinity) return onlyInfinite(logits, p);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i];
    const e = v === v ? Math.exp((v - max) / temperature) : 0;
    p[i] = e;
    sum += e;
  }
  for (let i = 0; i < p.length; i++) p[i] /= sum;
  return p;
}

/** +Infinity logits share all the probability (exp would give NaN). */
function onlyInfinite(logits: ArrayLike<number>, p: Float64Array): Float64Array {
  let n = 0;
  for (let i = 0; i < logits.length; i++) if (logits[i] === Infinity) n++;
  for (let i = 0; i < logits.length; i++) p[i] = logits[i] === Infinity ? 1 / n : 0;
  return p;
}

/**
 * Indices kept by nucleus sampling: the most probable tokens (ties by lower index) whose cumulative
 * probability first reaches topP; the token that crosses the threshold is kept, and always at least one.
 */
export function nucleus(probs: Float64Array, topP: number): number[] {
  const order = Array.from(probs.keys()).filter((i) => probs[i] > 0);
  order.sort((a, b) => probs[b] - probs[a] || a - b);
  const kept: number[] = [];
  let mass = 0;
  for (const i of order) {
    kept.push(i);
    mass += probs[i];
    if (mass >= topP) break;
  }
  return kept;
}

/** Draws one index among `candidates` (all indices when null) in proportion to probs; u in [0, 1). */
function draw(probs: Float64Array, candidates: number[] | null, u: number): number {
  const n = candidates ? candidates.length : probs.length;
  const at = (k: number): number => (candidates ? candidates[k] : k);
  let mass = 0;
  for (let k = 0; k < n; k++) mass += probs[at(k)];
  let target = u * mass;
  let last = at(0);
  for (let k = 0; k < n; k++) {
    const i = at(k);
    if (probs[i] <= 0) continue;
    last = i;
    target -= probs[i];
    if (target < 0) return i;
  }
  return last; // rounding left a sliver of mass: the last token with any probability
}

/** The next token for one row. Greedy when temperature is 0/absent (the rng is then not advanced). */
export function sampleToken(logits: ArrayLike<number>, s: Sampling | undefined, rng: Rng): number {
  if (isGreedy(s)) return argmax(logits);
  const probs = softmax(logits, s!.temperature!);
  if (probs.every((p) => p === 0)) return argmax(logits); // all -Infinity / NaN: nothing to draw from
  const topP = s!.topP ?? 1;
  return draw(probs, topP < 1 ? nucleus(probs, topP) : null, rng.next());
}
