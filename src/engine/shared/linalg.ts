/**
 * Small float64-accumulating helpers: activations reach 1e2..1e3 in late layers, so float32 sums drift.
 * Shared by the runtime (steering validation, live projection) and the vector clients, so it sits below both.
 */
import { EngineError } from './errors';

export type Vec = ArrayLike<number>;

export function dot(a: Vec, b: Vec): number {
  if (a.length !== b.length) throw new EngineError('bad-input', `dot: lengths differ (${a.length} vs ${b.length}).`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export const norm = (a: Vec): number => Math.sqrt(dot(a, a));

/** Unit vector in float32; a zero vector has no direction and is refused. */
export function unit(a: Vec): Float32Array {
  const n = norm(a);
  if (!(n > 0)) throw new EngineError('bad-input', 'Cannot normalise a zero vector: it has no direction.');
  const out = new Float32Array(a.length);
  // Stryker disable next-line EqualityOperator: i = length writes past the end of a Float32Array, which is dropped
  for (let i = 0; i < a.length; i++) out[i] = a[i] / n;
  return out;
}

/** Cosine similarity; 0 when either vector is zero (no direction, so no alignment). */
export function cosine(a: Vec, b: Vec): number {
  const na = norm(a);
  const nb = norm(b);
  return na > 0 && nb > 0 ? dot(a, b) / (na * nb) : 0;
}

/** Row i of a flat [N, D] matrix as a view. */
export const rowOf = (m: Float32Array, d: number, i: number): Float32Array => m.subarray(i * d, (i + 1) * d);

/** Number of rows of a flat [N, D] matrix, refusing ragged data. */
export function rowCount(m: Float32Array, d: number, what: string): number {
  // Stryker disable next-line EqualityOperator: at d = 0, m.length % 0 is NaN, which is !== 0, so d >= 0 refuses 0 all the same
  if (!(d > 0) || m.length % d !== 0) throw new EngineError('bad-input', `${what}: ${m.length} values is not a whole number of rows of ${d}.`);
  return m.length / d;
}

/** Column means of a flat [N, D] matrix, in float64. */
export function meanRows(m: Float32Array, d: number, what: string): Float64Array {
  const n = rowCount(m, d, what);
  if (n === 0) throw new EngineError('bad-input', `${what}: no rows to average.`);
  const acc = new Float64Array(d);
  // Stryker disable next-line EqualityOperator: j = d writes past the end of a Float64Array of length d, which is dropped
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) acc[j] += m[i * d + j];
  // Stryker disable next-line EqualityOperator: j = d writes past the end of a Float64Array of length d, which is dropped
  for (let j = 0; j < d; j++) acc[j] /= n;
  return acc;
}

/** NaN/Inf in a steering vector would poison every later token, so they are refused at every boundary. */
export function assertFinite(data: ArrayLike<number>, what: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new EngineError('bad-input', `${what}: value ${i} is ${data[i]}; vectors must not contain NaN or Infinity.`);
  }
}
