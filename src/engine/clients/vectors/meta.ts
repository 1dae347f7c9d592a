/**
 * The metadata every vector set carries, and the checks shared by builders and importers.
 * A vector set is a dense [numLayers, hiddenSize] float32 matrix: row L is the vector for layer L.
 */
import { EngineError } from '../../shared/errors';
import { assertFinite } from '../../shared/linalg';

/**
 * Stated in every exported file, because layer off-by-one between tools is the most common steering bug.
 * HF's hidden_states[num_layers] is taken after the final norm, so it is not the last block's output.
 */
export const LAYER_CONVENTION =
  'layer L = output of model.layers[L] (0-based) = HF hidden_states[L+1] for L < num_layers-1; '
  + 'the last layer is the last block\'s output before the final norm, whereas HF hidden_states[num_layers] is after it; '
  + 'embeddings are hidden_states[0]';

export type PoolingKind = 'response-mean' | 'prompt-mean' | 'prompt-last';
export type VectorMethod = 'diff-in-means' | 'probe' | 'two-model' | 'random' | 'imported';

export interface VectorMeta {
  modelId: string;
  /** The model's architecture name (config model_type), when known; becomes the GGUF model hint. */
  architecture?: string;
  /** Residual tap the activations came from. */
  tap: 'hook_resid_post' | 'hook_resid_mid';
  pooling: PoolingKind | 'unknown';
  method: VectorMethod;
  counts: { pos: number; neg: number };
  layerConvention: string;
  hiddenSize: number;
  numLayers: number;
  /** Rows that carry a vector; absent means all. Rows not listed are zero (e.g. layer 0 of a GGUF import). */
  layers?: number[];
  normalized: boolean;
  /** Two-model vectors: the model subtracted from modelId's activations. */
  comparedModelId?: string;
  trait?: string;
  createdAt?: string;
  notes?: string;
}

export interface VectorSet {
  /** [numLayers, hiddenSize], row-major. */
  vectors: Float32Array;
  meta: VectorMeta;
}

const bad = (message: string): EngineError => new EngineError('bad-input', message);

const isPosInt = (x: unknown): x is number => Number.isInteger(x) && (x as number) > 0;
const isStr = (x: unknown): x is string => typeof x === 'string';

/**
 * Checks a meta object that came from outside (a file) and returns it typed.
 * Unknown fields are dropped so a file cannot smuggle arbitrary data into our state.
 */
export function parseVectorMeta(x: unknown, where: string): VectorMeta {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw bad(`${where}: metadata must be an object.`);
  const m = x as Record<string, unknown>;
  const need = (ok: boolean, field: string, problem: string): void => {
    if (!ok) throw bad(`${where}: metadata.${field} ${problem}.`);
  };
  need(isStr(m.modelId), 'modelId', 'must be a string');
  need(m.tap === 'hook_resid_post' || m.tap === 'hook_resid_mid', 'tap', 'must be "hook_resid_post" or "hook_resid_mid"');
  need(isStr(m.pooling), 'pooling', 'must be a string');
  need(isStr(m.method), 'method', 'must be a string');
  const counts = m.counts as Record<string, unknown> | undefined;
  // Stryker disable next-line ConditionalExpression: a non-object has no integer .pos (and null is caught next), so the typeof test never decides alone
  need(typeof counts === 'object' && counts !== null && Number.isInteger(counts.pos) && Number.isInteger(counts.neg), 'counts', 'must be {pos, neg} integers');
  need(isStr(m.layerConvention), 'layerConvention', 'must be a string');
  need(isPosInt(m.hiddenSize), 'hiddenSize', 'must be a positive integer');
  need(isPosInt(m.numLayers), 'numLayers', 'must be a positive integer');
  need(typeof m.normalized === 'boolean', 'normalized', 'must be true or false');
  const numLayers = m.numLayers as number;
  if (m.layers !== undefined) {
    need(Array.isArray(m.layers) && m.layers.every((l) => Number.isInteger(l) && l >= 0 && l < numLayers), 'layers', `must list layer indices in 0..${numLayers - 1}`);
  }
  const meta: VectorMeta = {
    modelId: m.modelId as string,
    tap: m.tap as VectorMeta['tap'],
    pooling: m.pooling as VectorMeta['pooling'],
    method: m.method as VectorMeta['method'],
    counts: { pos: counts!.pos as number, neg: counts!.neg as number },
    layerConvention: m.layerConvention as string,
    hiddenSize: m.hiddenSize as number,
    numLayers,
    normalized: m.normalized as boolean,
  };
  if (m.layers !== undefined) meta.layers = [...(m.layers as number[])];
  for (const k of ['architecture', 'comparedModelId', 'trait', 'createdAt', 'notes'] as const) {
    if (m[k] !== undefined) {
      need(isStr(m[k]), k, 'must be a string');
      meta[k] = m[k] as string;
    }
  }
  return meta;
}

/**
 * The largest per-layer norm the lab lets a vector into its library with (file formats carry any finite
 * float faithfully; this is the lab's rule, applied on import and share links). Residual streams of real models have norms from about 1 to
 * the low thousands; a vector a thousand times beyond that is a broken file (or a unit mix-up), and steering
 * with it turns every logit into Inf/NaN and the text into NUL characters.
 */
export const MAX_VECTOR_NORM = 1e6;

/** Refuses a [rows, hiddenSize] matrix with NaN/Inf or any row whose norm exceeds MAX_VECTOR_NORM. */
export function assertSaneVectors(data: ArrayLike<number>, hiddenSize: number, what: string, layerOf: (row: number) => number = (r) => r): void {
  assertFinite(data, what);
  for (let r = 0; r * hiddenSize < data.length; r++) {
    let ss = 0;
    for (let i = r * hiddenSize; i < (r + 1) * hiddenSize; i++) ss += data[i] * data[i];
    const n = Math.sqrt(ss);
    if (n > MAX_VECTOR_NORM) {
      throw bad(`${what}: the vector at layer ${layerOf(r)} has norm ${n.toExponential(2)}, over the limit of ${MAX_VECTOR_NORM.toExponential(0)}, far above any model's residual stream; the file is probably broken or in other units.`);
    }
  }
}

/** Shape and value checks for a set about to be exported or just imported. */
export function checkVectorSet(set: VectorSet, where: string): void {
  const { hiddenSize, numLayers } = set.meta;
  if (set.vectors.length !== hiddenSize * numLayers) {
    throw bad(`${where}: expected ${numLayers} x ${hiddenSize} = ${numLayers * hiddenSize} values, found ${set.vectors.length}.`);
  }
  assertFinite(set.vectors, where);
}

/** Layers that carry a vector, in ascending order. */
export function presentLayers(meta: VectorMeta): number[] {
  return meta.layers ? [...new Set(meta.layers)].sort((a, b) => a - b) : Array.from({ length: meta.numLayers }, (_, i) => i);
}

/** Row L of a [numLayers, hiddenSize] matrix, as a view (no copy). */
export function row(matrix: Float32Array, hiddenSize: number, layer: number): Float32Array {
  return matrix.subarray(layer * hiddenSize, (layer + 1) * hiddenSize);
}
