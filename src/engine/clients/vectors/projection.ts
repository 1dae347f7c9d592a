/** Projections of residuals onto a direction, and cosine geometry between vectors and layers. */
import type { Capture } from '../../shared/api';
import { EngineError } from '../../shared/errors';
import { cosine, dot, rowCount, rowOf, unit } from '../../shared/linalg';
import type { RowSpans } from './pooling';

/**
 * Per-token projection h · u with u = direction / |direction| (the detection score), shape [B, S] flattened.
 * Padding positions are projected too; callers use their spans to pick real tokens.
 */
export function projectTokens(capture: Capture, direction: ArrayLike<number>): Float32Array {
  const [B, S, D] = capture.shape;
  if (direction.length !== D) throw new EngineError('bad-input', `Direction has ${direction.length} values; the capture's hidden size is ${D}.`);
  const u = unit(direction);
  const out = new Float32Array(B * S);
  for (let t = 0; t < B * S; t++) out[t] = dot(capture.data.subarray(t * D, (t + 1) * D), u);
  return out;
}

/** Mean projection over each row's response tokens; NaN for a row that generated nothing. */
export function responseMeanProjection(capture: Capture, rows: RowSpans[], direction: ArrayLike<number>): number[] {
  const [B, S] = capture.shape;
  if (rows.length !== B) throw new EngineError('bad-input', `Got spans for ${rows.length} rows but the capture has ${B}.`);
  const p = projectTokens(capture, direction);
  return rows.map((r, b) => {
    const [s0, s1] = [r.response[0] + r.offset, r.response[1] + r.offset];
    if (s1 > S) throw new EngineError('bad-input', `Row ${b}: response ends at ${s1} but the capture has ${S} positions.`);
    // Stryker disable next-line EqualityOperator: at s1 = s0 the sum over no tokens is 0 / 0 = NaN as well
    if (s1 <= s0) return NaN;
    let sum = 0;
    for (let s = s0; s < s1; s++) sum += p[b * S + s];
    return sum / (s1 - s0);
  });
}

/**
 * Each row of a flat [N, D] matrix (e.g. pooled activations, one row per prompt) projected onto
 * unit(direction): the detection score and the monitor's reading.
 */
export function projectRows(rows: Float32Array, D: number, direction: ArrayLike<number>): number[] {
  if (direction.length !== D) throw new EngineError('bad-input', `Direction has ${direction.length} values; the activations' hidden size is ${D}.`);
  const u = unit(direction);
  return Array.from({ length: rowCount(rows, D, 'activations') }, (_, i) => dot(rowOf(rows, D, i), u));
}

export { cosine };

/** Pairwise cosine between vectors (e.g. trait vectors at one layer); the diagonal is exactly 1 (0 for a zero vector). */
export function cosineMatrix(vectors: ArrayLike<number>[]): number[][] {
  // Stryker disable next-line ConditionalExpression: the lower triangle is overwritten from the upper one below; skipping it only saves work
  const m = vectors.map((a, i) => vectors.map((b, j) => (j < i ? 0 : cosine(a, b))));
  for (let i = 0; i < m.length; i++) {
    if (m[i][i] !== 0) m[i][i] = 1; // rounding can give 0.9999999; self-similarity is 1 by definition
    // Stryker disable next-line EqualityOperator: j = i copies the diagonal onto itself
    for (let j = 0; j < i; j++) m[i][j] = m[j][i]; // symmetric by construction, half the work
  }
  return m;
}

function rows(set: Float32Array, D: number): Float32Array[] {
  if (set.length % D !== 0) throw new EngineError('bad-input', `${set.length} values is not a whole number of layers of ${D}.`);
  return Array.from({ length: set.length / D }, (_, l) => set.subarray(l * D, (l + 1) * D));
}

/** Cosine between the layers of one [numLayers, D] set: how much the direction drifts with depth. */
export const layerCosineMatrix = (set: Float32Array, D: number): number[][] => cosineMatrix(rows(set, D));

/** Per layer, cosine between two [numLayers, D] sets (e.g. diff-in-means vs probe direction). */
export function layerwiseCosine(a: Float32Array, b: Float32Array, D: number): number[] {
  if (a.length !== b.length) throw new EngineError('bad-input', 'layerwiseCosine: the two sets differ in shape.');
  const rb = rows(b, D);
  return rows(a, D).map((v, l) => cosine(v, rb[l]));
}
