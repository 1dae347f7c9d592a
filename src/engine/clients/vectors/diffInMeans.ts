/** Difference of means between positive and negative pooled activations, one vector per layer. */
import { EngineError } from '../../shared/errors';
import { LAYER_CONVENTION, type PoolingKind, type VectorMeta, type VectorSet } from './meta';
import { assertFinite, meanRows, rowCount } from '../../shared/linalg';

export interface DiffInMeansOptions {
  hiddenSize: number;
  modelId: string;
  architecture?: string;
  tap?: VectorMeta['tap'];
  pooling: PoolingKind;
  /** Scale each layer's vector to unit length (default false: keep the natural scale for coefficients). */
  normalize?: boolean;
  trait?: string;
}

/** pos[L] and neg[L] are [N, D] pooled activations at layer L. */
export function diffInMeans(pos: Float32Array[], neg: Float32Array[], opts: DiffInMeansOptions): VectorSet {
  const D = opts.hiddenSize;
  if (pos.length === 0 || pos.length !== neg.length) {
    throw new EngineError('bad-input', `diffInMeans needs the same non-zero number of layers for both sides (got ${pos.length} and ${neg.length}).`);
  }
  const numLayers = pos.length;
  const vectors = new Float32Array(numLayers * D);
  let nPos = 0;
  let nNeg = 0;
  for (let l = 0; l < numLayers; l++) {
    assertFinite(pos[l], `positive activations, layer ${l}`);
    assertFinite(neg[l], `negative activations, layer ${l}`);
    const np = rowCount(pos[l], D, `positive activations, layer ${l}`);
    const nn = rowCount(neg[l], D, `negative activations, layer ${l}`);
    // Every layer must see the same samples, or the per-layer vectors would not be comparable.
    if (l > 0 && (np !== nPos || nn !== nNeg)) {
      throw new EngineError('bad-input', `Layer ${l} has ${np} positive / ${nn} negative samples but layer 0 has ${nPos} / ${nNeg}.`);
    }
    nPos = np;
    nNeg = nn;
    const mp = meanRows(pos[l], D, `positive activations, layer ${l}`);
    const mn = meanRows(neg[l], D, `negative activations, layer ${l}`);
    let sq = 0;
    for (let j = 0; j < D; j++) {
      mp[j] -= mn[j];
      sq += mp[j] * mp[j];
    }
    // Normalise in float64 before rounding so a unit vector is as close to unit as float32 allows.
    const scale = opts.normalize && sq > 0 ? 1 / Math.sqrt(sq) : 1;
    // Stryker disable next-line EqualityOperator: at j = D the loop only touches index D of a typed array, where a write is dropped past the end or overwritten by the next row
    for (let j = 0; j < D; j++) vectors[l * D + j] = mp[j] * scale;
  }
  const meta: VectorMeta = {
    modelId: opts.modelId,
    tap: opts.tap ?? 'hook_resid_post',
    pooling: opts.pooling,
    method: 'diff-in-means',
    counts: { pos: nPos, neg: nNeg },
    layerConvention: LAYER_CONVENTION,
    hiddenSize: D,
    numLayers,
    normalized: !!opts.normalize,
  };
  if (opts.architecture) meta.architecture = opts.architecture;
  if (opts.trait) meta.trait = opts.trait;
  return { vectors, meta };
}
