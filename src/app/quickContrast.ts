/**
 * Quick contrast vectors: mean residual per prompt, difference of means per layer, and a per-layer
 * separation score to choose a layer. Pure maths; the engine calls live in actions. The vectors come
 * from src/engine/clients/vectors/diffInMeans, the separation is leaveOneOutSeparation (src/engine/clients/vectors/separation).
 */
import { diffInMeans, type DiffInMeansOptions } from '../engine/clients/vectors/diffInMeans';
import { norm } from '../engine/shared/linalg';
import { row, type VectorSet } from '../engine/clients/vectors/meta';
import { bestSeparatedLayer, leaveOneOutSeparation } from '../engine/clients/vectors/separation';

/** One prompt per non-empty line. */
export function splitPrompts(text: string): string[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
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
  const sep = posByLayer.map((p, l) => leaveOneOutSeparation(p, negByLayer[l]));
  const bestLayer = bestSeparatedLayer(sep);
  const norms = sep.map((_, l) => norm(row(set.vectors, D, l)));
  return { set, separation: sep, norms, bestLayer };
}
