/**
 * Per-layer separation: project both classes onto the layer's diff-in-means direction and measure
 * the gap in units of the pooled standard deviation (Cohen's d). A layer where the classes sit far
 * apart relative to their spread is a good layer to read or steer.
 * Two measures, two names: inSampleSeparation fits the direction on the same samples it scores (optimistic in high
 * dimensions: compare layers, not absolutes; the pipeline and detection views show it), leaveOneOutSeparation
 * scores each sample on a direction built without it (the quick-contrast panel shows it).
 */
import { EngineError } from '../../shared/errors';
import { dot, meanRows, norm, rowCount, rowOf } from '../../shared/linalg';

export interface LayerSeparation {
  layer: number;
  separation: number;
  meanPos: number;
  meanNeg: number;
  pooledSd: number;
}

export interface SeparationReport {
  layers: LayerSeparation[];
  /** Layer indices from best to worst separation. */
  ranking: number[];
  recommendedLayer: number;
}

function meanVar(xs: number[]): [number, number] {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  // Stryker disable next-line ArithmeticOperator: with m the mean, Σ(x + m)(x - m) = Σx² - n·m² = Σ(x - m)², so either factor may read x + m
  const ss = xs.reduce((a, x) => a + (x - m) * (x - m), 0);
  return [m, xs.length > 1 ? ss / (xs.length - 1) : 0];
}

export function inSampleSeparation(pos: Float32Array, neg: Float32Array, D: number, layer = 0): LayerSeparation {
  const nP = rowCount(pos, D, `positive, layer ${layer}`);
  const nN = rowCount(neg, D, `negative, layer ${layer}`);
  if (nP + nN < 3) throw new EngineError('bad-input', `Layer ${layer}: separation needs at least 3 samples in total.`);
  const mp = meanRows(pos, D, 'positive');
  const mn = meanRows(neg, D, 'negative');
  const dir = new Float64Array(D);
  // Stryker disable next-line EqualityOperator: j = D writes past the end of a Float64Array of length D, which is dropped
  for (let j = 0; j < D; j++) dir[j] = mp[j] - mn[j];
  const dn = Math.sqrt(dot(dir, dir));
  // Stryker disable next-line EqualityOperator: j = D writes past the end of a Float64Array of length D, which is dropped
  if (dn > 0) for (let j = 0; j < D; j++) dir[j] /= dn;
  const pp = Array.from({ length: nP }, (_, i) => dot(rowOf(pos, D, i), dir));
  const pn = Array.from({ length: nN }, (_, i) => dot(rowOf(neg, D, i), dir));
  const [meanPos, vp] = meanVar(pp);
  const [meanNeg, vn] = meanVar(pn);
  const pooledSd = Math.sqrt(((nP - 1) * vp + (nN - 1) * vn) / (nP + nN - 2));
  const gap = meanPos - meanNeg;
  // Perfectly separated, zero-spread classes: infinite separation is the honest answer.
  const separation = pooledSd > 0 ? gap / pooledSd : gap > 0 ? Infinity : 0;
  return { layer, separation, meanPos, meanNeg, pooledSd };
}

/**
 * Perfectly separated zero-spread classes have separation +Infinity; stored results (JSON exports, charts) take
 * this finite stand-in instead, large enough to top any measured value.
 */
export const SEPARATION_CAP = 1e6;
export const cappedSeparation = (x: number): number => (x === Infinity ? SEPARATION_CAP : x);

/** The best-separated layer: the first of the largest values (+Infinity beats any number; NaN never wins); -1 for none. */
export function bestSeparatedLayer(separation: readonly number[]): number {
  let best = -1;
  separation.forEach((x, l) => { if (!Number.isNaN(x) && (best < 0 || x > separation[best])) best = l; });
  return best;
}

/**
 * The layer to steer a vector at by default: the best-separated of the layers it has, else (no separation recorded,
 * e.g. an imported file) the middle one of them; -1 when it has none.
 */
export function preferredLayer(separation: readonly number[] | undefined, layers: readonly number[]): number {
  if (!layers.length) return -1;
  if (separation) {
    const best = bestSeparatedLayer(layers.map((l) => separation[l] ?? NaN));
    if (best >= 0) return layers[best];
  }
  return layers[Math.floor(layers.length / 2)];
}

/** pos[L], neg[L]: [N, D] pooled activations per layer. Ties rank the earlier layer first. */
export function separationByLayer(pos: Float32Array[], neg: Float32Array[], D: number): SeparationReport {
  if (pos.length === 0 || pos.length !== neg.length) throw new EngineError('bad-input', 'separationByLayer needs the same non-zero number of layers for both classes.');
  const layers = pos.map((p, l) => inSampleSeparation(p, neg[l], D, l));
  const ranking = layers.map((s) => s.layer).sort((a, b) => layers[b].separation - layers[a].separation
    // Stryker disable next-line ArithmeticOperator: sort is stable and the layers start in index order, so any positive tie-break keeps the earlier layer first, as a - b does
    || a - b);
  return { layers, ranking, recommendedLayer: ranking[0] };
}

/**
 * Cohen's d of two sets (one vector per sample) projected on the diff-of-means direction, leave-one-out: each sample
 * is projected on a direction built without it, centred at the midpoint of the two means so the sign says which side
 * it falls on. In-sample projections are inflated in high dimensions (with 2048 dims and a handful of prompts every
 * layer looks perfectly separated). A side with a single sample is scored in-sample.
 */
export function leaveOneOutSeparation(pos: Float32Array[], neg: Float32Array[]): number {
  if (pos.length === 0 || neg.length === 0) throw new EngineError('bad-input', 'leaveOneOutSeparation needs at least one sample on each side.');
  const D = pos[0].length;
  const meanOf = (xs: Float32Array[]): Float64Array => {
    const m = new Float64Array(D);
    for (const x of xs) for (let d = 0; d < D; d++) m[d] += x[d] / xs.length;
    return m;
  };
  const mp = meanOf(pos), mn = meanOf(neg);
  const score = (x: Float32Array, a: Float64Array, b: Float64Array): number => {
    const dir = new Float64Array(D), mid = new Float64Array(D);
    for (let d = 0; d < D; d++) { dir[d] = a[d] - b[d]; mid[d] = (a[d] + b[d]) / 2; }
    const n = norm(dir) || 1;
    let s = 0;
    for (let d = 0; d < D; d++) s += (x[d] - mid[d]) * dir[d];
    return s / n;
  };
  const without = (m: Float64Array, x: Float32Array, n: number): Float64Array => m.map((v, d) => (n * v - x[d]) / (n - 1));
  const sp = pos.map((x) => score(x, pos.length > 1 ? without(mp, x, pos.length) : mp, mn));
  const sn = neg.map((x) => score(x, mp, neg.length > 1 ? without(mn, x, neg.length) : mn));
  const [mP, vP] = meanVar(sp);
  const [mN, vN] = meanVar(sn);
  const pooled = Math.sqrt((vP * (sp.length - 1) + vN * (sn.length - 1)) / Math.max(1, sp.length + sn.length - 2));
  const gap = mP - mN;
  return pooled > 1e-12 ? gap / pooled : gap > 0 ? Infinity : 0;
}
