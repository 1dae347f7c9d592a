/**
 * Two-model directions (e.g. fine-tuned minus base, the misalignment recipe): the mean over paired
 * prompts of pooled activations of model A minus those of model B, per layer. Both models must share
 * the architecture: same layer count and hidden size.
 */
import { EngineError } from '../../shared/errors';
import { LAYER_CONVENTION, type PoolingKind, type VectorSet } from './meta';
import { assertFinite, rowCount } from '../../shared/linalg';

export interface TwoModelOptions {
  hiddenSize: number;
  /** The model the vector is meant to steer (A). */
  modelId: string;
  /** The model subtracted (B). */
  comparedModelId: string;
  pooling: PoolingKind;
  normalize?: boolean;
}

/** a[L], b[L]: [N, D] pooled activations of the same N prompts (same order) in models A and B. */
export function twoModelDiff(a: Float32Array[], b: Float32Array[], opts: TwoModelOptions): VectorSet {
  const D = opts.hiddenSize;
  if (a.length === 0 || a.length !== b.length) throw new EngineError('bad-input', `Both models need the same number of layers (got ${a.length} and ${b.length}).`);
  const L = a.length;
  const vectors = new Float32Array(L * D);
  let n = 0;
  for (let l = 0; l < L; l++) {
    n = rowCount(a[l], D, `model A, layer ${l}`);
    const nb = rowCount(b[l], D, `model B, layer ${l}`);
    if (n !== nb || n === 0) throw new EngineError('bad-input', `Layer ${l}: activations must be paired prompt by prompt (A has ${n}, B has ${nb}).`);
    assertFinite(a[l], `model A, layer ${l}`);
    assertFinite(b[l], `model B, layer ${l}`);
    const acc = new Float64Array(D);
    for (let i = 0; i < n * D; i++) acc[i % D] += a[l][i] - b[l][i];
    let sq = 0;
    for (let j = 0; j < D; j++) sq += (acc[j] /= n) ** 2;
    const scale = opts.normalize && sq > 0 ? 1 / Math.sqrt(sq) : 1;
    // Stryker disable next-line EqualityOperator: at j = D the loop only touches index D of a typed array, where a write is dropped past the end or overwritten by the next row
    for (let j = 0; j < D; j++) vectors[l * D + j] = acc[j] * scale;
  }
  return {
    vectors,
    meta: {
      modelId: opts.modelId,
      comparedModelId: opts.comparedModelId,
      tap: 'hook_resid_post',
      pooling: opts.pooling,
      method: 'two-model',
      counts: { pos: n, neg: n },
      layerConvention: LAYER_CONVENTION,
      hiddenSize: D,
      numLayers: L,
      normalized: !!opts.normalize,
    },
  };
}
