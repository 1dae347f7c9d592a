/**
 * Picking the next token from one row of logits: greedy (temperature 0 or absent), or temperature with
 * optional nucleus (top-p) truncation, drawn from a seeded Rng so a seed reproduces the same text.
 * Probabilities are computed in float64 with the max subtracted, so large logits do not overflow.
 */
import type { Sampling } from '../../shared/api';
import { EngineError } from '../../shared/errors';
import type { Rng } from '../../shared/rng';

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

/**
 * Buffers one picker reuses from step to step, so sampling allocates nothing that scales with the
 * vocabulary (the vocabulary is 128k–152k entries on the models the lab targets).
 */
export interface SamplingScratch { probs: Float64Array; order: Int32Array }
export const samplingScratch = (): SamplingScratch => ({ probs: new Float64Array(0), order: new Int32Array(0) });

function fit(scratch: SamplingScratch, n: number): void {
  if (scratch.probs.length >= n) return;
  scratch.probs = new Float64Array(n);
  scratch.order = new Int32Array(n);
}

/** softmax(logits / temperature) in float64; NaN logits get probability 0. Written into `out` when given (its length must be the logits'). */
export function softmax(logits: ArrayLike<number>, temperature = 1, out?: Float64Array): Float64Array {
  const p = out ?? new Float64Array(logits.length);
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  if (max === -Infinity || Number.isNaN(max)) return p.fill(0);
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
  const order = new Int32Array(probs.length);
  return Array.from(order.subarray(0, nucleusInto(probs, topP, order)));
}

/**
 * `nucleus` into `order` (returns how many it kept). Sorting the whole vocabulary every step is the
 * costly part, so only the tokens at or above a probability threshold are sorted: they are exactly the
 * head of the full order, and when their cumulative mass reaches topP the cut lies among them. Otherwise
 * the threshold drops (÷64) and the next head is tried; at 0 every token with probability is sorted.
 */
function nucleusInto(probs: Float64Array, topP: number, order: Int32Array): number {
  let max = 0;
  for (let i = 0; i < probs.length; i++) if (probs[i] > max) max = probs[i];
  for (let t = max / 64; ; t = t > 1e-300 ? t / 64 : 0) {
    let n = 0;
    for (let i = 0; i < probs.length; i++) if (probs[i] > 0 && probs[i] >= t) order[n++] = i;
    const head = order.subarray(0, n);
    head.sort((a, b) => probs[b] - probs[a] || a - b);
    let mass = 0;
    for (let k = 0; k < n; k++) {
      mass += probs[head[k]];
      if (mass >= topP) return k + 1;
    }
    if (t === 0) return n;
  }
}

/** Draws one index among `order[0..n)` (all indices when order is null) in proportion to probs; u in [0, 1). */
function draw(probs: Float64Array, order: Int32Array | null, n: number, u: number): number {
  const at = (k: number): number => (order ? order[k] : k);
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
export function sampleToken(logits: ArrayLike<number>, s: Sampling | undefined, rng: Rng, scratch: SamplingScratch = samplingScratch()): number {
  if (isGreedy(s)) return argmax(logits);
  fit(scratch, logits.length);
  const probs = softmax(logits, s!.temperature!, scratch.probs.subarray(0, logits.length));
  if (!probs.some((p) => p !== 0)) return argmax(logits); // all -Infinity / NaN: nothing to draw from
  const topP = s!.topP ?? 1;
  if (topP >= 1) return draw(probs, null, probs.length, rng.next());
  return draw(probs, scratch.order, nucleusInto(probs, topP, scratch.order), rng.next());
}
