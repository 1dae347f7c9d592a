/**
 * Per-layer separation: project both classes onto the layer's diff-in-means direction and measure
 * the gap in units of the pooled standard deviation (Cohen's d). A layer where the classes sit far
 * apart relative to their spread is a good layer to read or steer.
 * Note: the direction is fitted on the same data, so values are optimistic; compare layers, not absolutes.
 */
import { EngineError } from '../errors';
import { dot, meanRows, rowCount, rowOf } from './linalg';

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

export function layerSeparation(pos: Float32Array, neg: Float32Array, D: number, layer = 0): LayerSeparation {
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

/** pos[L], neg[L]: [N, D] pooled activations per layer. Ties rank the earlier layer first. */
export function separationByLayer(pos: Float32Array[], neg: Float32Array[], D: number): SeparationReport {
  if (pos.length === 0 || pos.length !== neg.length) throw new EngineError('bad-input', 'separationByLayer needs the same non-zero number of layers for both classes.');
  const layers = pos.map((p, l) => layerSeparation(p, neg[l], D, l));
  const ranking = layers.map((s) => s.layer).sort((a, b) => layers[b].separation - layers[a].separation
    // Stryker disable next-line ArithmeticOperator: sort is stable and the layers start in index order, so any positive tie-break keeps the earlier layer first, as a - b does
    || a - b);
  return { layers, ranking, recommendedLayer: ranking[0] };
}
