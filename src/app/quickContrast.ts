/**
 * Quick contrast vectors: mean residual per prompt, difference of means per layer, and a per-layer
 * separation score to choose a layer. Pure maths; the engine calls live in actions. The vectors come
 * from src/engine/vectors/diffInMeans; separation here is leave-one-out (see below).
 */
import type { Capture } from '../engine/api';
import { diffInMeans, type DiffInMeansOptions } from '../engine/vectors/diffInMeans';
import { row, type VectorSet } from '../engine/vectors/meta';

/** One prompt per non-empty line. */
export function splitPrompts(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
}

/** Mean of capture row `row` over positions [start, end). */
export function meanOverPositions(cap: Capture, row: number, start: number, end: number): Float32Array {
  const [, S, D] = cap.shape;
  if (start < 0 || end > S || end <= start) throw new RangeError(`positions [${start}, ${end}) outside a capture of length ${S}`);
  const out = new Float64Array(D);
  for (let s = start; s < end; s++) {
    const base = (row * S + s) * D;
    for (let d = 0; d < D; d++) out[d] += cap.data[base + d];
  }
  return Float32Array.from(out, (x) => x / (end - start));
}

export function mean(xs: Float32Array[]): Float32Array {
  const out = new Float64Array(xs[0].length);
  for (const x of xs) for (let d = 0; d < out.length; d++) out[d] += x[d];
  return Float32Array.from(out, (x) => x / xs.length);
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };

/**
 * Cohen's d of the two sets projected on the diff-of-means direction, leave-one-out: each prompt is
 * projected on a direction built without it. In-sample projections are inflated in high dimensions
 * (with 2048 dims and a handful of prompts every layer looks perfectly separated).
 * Falls back to in-sample when a side has a single prompt.
 */
export function separation(pos: Float32Array[], neg: Float32Array[]): number {
  const D = pos[0].length;
  const mp = mean(pos), mn = mean(neg);
  const score = (x: Float32Array, a: Float32Array, b: Float32Array) => {
    // centred at the midpoint so the sign says which side the prompt falls on
    const dir = new Float64Array(D), mid = new Float64Array(D);
    for (let d = 0; d < D; d++) { dir[d] = a[d] - b[d]; mid[d] = (a[d] + b[d]) / 2; }
    const n = Math.sqrt(dot(dir, dir)) || 1;
    let s = 0;
    for (let d = 0; d < D; d++) s += (x[d] - mid[d]) * dir[d];
    return s / n;
  };
  const without = (m: Float32Array, x: Float32Array, n: number) => m.map((v, d) => (n * v - x[d]) / (n - 1));
  const sp = pos.map((x) => score(x, pos.length > 1 ? without(mp, x, pos.length) : mp, mn));
  const sn = neg.map((x) => score(x, mp, neg.length > 1 ? without(mn, x, neg.length) : mn));
  const avg = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const variance = (v: number[]) => { const m = avg(v); return v.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, v.length - 1); };
  const pooled = Math.sqrt((variance(sp) * (sp.length - 1) + variance(sn) * (sn.length - 1)) / Math.max(1, sp.length + sn.length - 2));
  const gap = avg(sp) - avg(sn);
  return pooled > 1e-12 ? gap / pooled : gap > 0 ? Infinity : 0;
}

export interface ContrastResult {
  /** [numLayers, hiddenSize]: mean(positive) - mean(negative) per layer, with its metadata. */
  set: VectorSet;
  /** Per layer: leave-one-out Cohen's d along that layer's vector. */
  separation: number[];
  /** Per layer: |vector|, to put coefficients in perspective. */
  norms: number[];
  bestLayer: number;
}

const flatten = (rows: Float32Array[]) => {
  const out = new Float32Array(rows.length * rows[0].length);
  rows.forEach((r, i) => out.set(r, i * r.length));
  return out;
};

/** byLayer[layer][prompt] = that prompt's mean residual at that layer. */
export function contrast(posByLayer: Float32Array[][], negByLayer: Float32Array[][], opts: Omit<DiffInMeansOptions, 'hiddenSize' | 'pooling'>): ContrastResult {
  if (posByLayer.length !== negByLayer.length || posByLayer.length === 0) throw new RangeError('both sides need the same, non-zero number of layers');
  const D = posByLayer[0][0].length;
  const set = diffInMeans(posByLayer.map(flatten), negByLayer.map(flatten), { ...opts, hiddenSize: D, pooling: 'prompt-mean' });
  const sep = posByLayer.map((p, l) => separation(p, negByLayer[l]));
  const finite = sep.map((s) => (Number.isFinite(s) ? s : 1e9));
  const bestLayer = finite.indexOf(Math.max(...finite));
  const norms = sep.map((_, l) => { const v = row(set.vectors, D, l); return Math.sqrt(dot(v, v)); });
  return { set, separation: sep, norms, bestLayer };
}
