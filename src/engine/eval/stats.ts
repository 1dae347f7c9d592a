/**
 * Summaries used by sweeps, the random-direction control, and the one seeded RNG of the engine
 * (probe splits, controls and shuffles all draw from here so a seed reproduces a whole experiment).
 */
import { EngineError } from '../errors';
import { createRng } from '../runtime/rng';

/** The engine's one seeded generator (runtime/rng.ts) as a plain function. */
export function mulberry32(seed: number): () => number {
  const rng = createRng(seed);
  return () => rng.next();
}

export type Rng = () => number;

/** Standard normal via Box-Muller; 1 - u keeps log away from 0. */
export function gaussian(rng: Rng): number {
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Fisher-Yates on a copy. */
export function shuffled<T>(xs: readonly T[], rng: Rng): T[] {
  const out = xs.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

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

export interface SweepPoint {
  coeff: number;
  /** A judge score, or null when the judge gave no score (too little mass on numbers). */
  score: number | null;
}

export interface SweepSummary extends Summary {
  coeff: number;
  /** How many samples had no score; reported so a mean over few scored samples is not mistaken for a full one. */
  unscored: number;
}

/** mean ± sd of scores per coefficient, sorted by coefficient; unscored samples are counted, not averaged. */
export function summarizeSweep(points: readonly SweepPoint[]): SweepSummary[] {
  const by = new Map<number, { scores: number[]; unscored: number }>();
  for (const p of points) {
    const g = by.get(p.coeff) ?? { scores: [], unscored: 0 };
    // Stryker disable next-line ConditionalExpression: Number.isFinite(null) is false, so a null score is counted as unscored by the second test alone
    if (p.score === null || !Number.isFinite(p.score)) g.unscored++;
    else g.scores.push(p.score);
    by.set(p.coeff, g);
  }
  return [...by.entries()].sort((a, b) => a[0] - b[0]).map(([coeff, g]) => ({ coeff, unscored: g.unscored, ...summarize(g.scores) }));
}

/**
 * The random-direction control: a direction drawn uniformly on the sphere, scaled to the norm of
 * `like`, so any effect of the real vector can be compared with "same size, no meaning".
 */
export function randomDirectionLike(like: ArrayLike<number>, seed: number): Float32Array {
  let n2 = 0;
  for (let i = 0; i < like.length; i++) n2 += like[i] * like[i];
  if (!(n2 > 0)) throw new EngineError('bad-input', 'The random-direction control needs a non-zero reference vector.');
  const rng = mulberry32(seed);
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
