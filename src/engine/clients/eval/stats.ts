/** Summaries used by sweeps and the views, and the random-direction control (drawn from the engine's one RNG, src/engine/shared/rng.ts). */
import { EngineError } from '../../shared/errors';
import { createRng, gaussian } from '../../shared/rng';

export function mean(xs: readonly number[]): number {
  // Stryker disable next-line ConditionalExpression: without it the sum 0 is divided by 0, which is NaN too
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n - 1); 0 for a single value, NaN for none. */
export function sd(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  if (xs.length === 1) return 0;
  const m = mean(xs);
  let ss = 0;
  // Stryker disable next-line ArithmeticOperator: with m the mean, Σ(x + m)(x - m) = Σx² - n·m² = Σ(x - m)², so either factor may read x + m
  for (const x of xs) ss += (x - m) * (x - m);
  return Math.sqrt(ss / (xs.length - 1));
}

export interface Summary {
  n: number;
  mean: number;
  sd: number;
  /** Standard error of the mean, for error bars. */
  sem: number;
  min: number;
  max: number;
}

export function summarize(xs: readonly number[]): Summary {
  const n = xs.length;
  const s = sd(xs);
  // Stryker disable next-line ConditionalExpression,EqualityOperator: at n = 0 the sd is already NaN, so NaN / 0 is NaN either way
  return { n, mean: mean(xs), sd: s, sem: n > 0 ? s / Math.sqrt(n) : NaN, min: n ? Math.min(...xs) : NaN, max: n ? Math.max(...xs) : NaN };
}

/** summarize over the finite values only (a judge's null or an empty answer's NaN projection is left out, not averaged). */
export const summarizeFinite = (xs: readonly (number | null)[]): Summary => summarize(xs.filter((x): x is number => x !== null && Number.isFinite(x)));

/**
 * The random-direction control: a direction drawn uniformly on the sphere, scaled to the norm of
 * `like`, so any effect of the real vector can be compared with "same size, no meaning".
 */
export function randomDirectionLike(like: ArrayLike<number>, seed: number): Float32Array {
  let n2 = 0;
  for (let i = 0; i < like.length; i++) n2 += like[i] * like[i];
  if (!(n2 > 0)) throw new EngineError('bad-input', 'The random-direction control needs a non-zero reference vector.');
  const rng = createRng(seed);
  const g = new Float64Array(like.length);
  let g2 = 0;
  for (let i = 0; i < g.length; i++) {
    g[i] = gaussian(rng);
    g2 += g[i] * g[i];
  }
  const scale = Math.sqrt(n2 / g2);
  const out = new Float32Array(like.length);
  // Stryker disable next-line EqualityOperator: i = length writes past the end of a Float32Array, which is dropped
  for (let i = 0; i < g.length; i++) out[i] = g[i] * scale;
  return out;
}
