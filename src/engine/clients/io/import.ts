/**
 * One entry point for vector files: detect the format, parse, and refuse vectors that do not fit the
 * loaded model, with a message that says what was expected, what was found and what to do.
 */
import type { ModelInfo } from '../../shared/api';
import { EngineError } from '../../shared/errors';
import type { VectorSet } from '../vectors/meta';
import type { IndexConvention } from './foreign';
import { readControlVectorGguf } from './gguf';
import { readSafetensorsVectors } from './safetensors';
import { isZip, readTorchVectors } from './torchPt';
import { importVectorJson } from './vectorJson';

export type VectorFormat = 'json' | 'safetensors' | 'gguf' | 'pt';

export function detectVectorFormat(bytes: Uint8Array): VectorFormat {
  if (bytes.length >= 4 && bytes[0] === 0x47 && bytes[1] === 0x47 && bytes[2] === 0x55 && bytes[3] === 0x46) return 'gguf';
  // safetensors: u64 header length that fits in the file, then a JSON object.
  if (bytes.length >= 10 && bytes[8] === 0x7b) {
    const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
    if (n >= 2n && n <= BigInt(bytes.length - 8)) return 'safetensors';
  }
  // After safetensors, whose header length can start with 0x80. torch.save: a zip archive since PyTorch 1.6; a bare pickle (0x80 protocol byte) before, which the reader explains.
  if (isZip(bytes) || (bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5)) return 'pt';
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0; // UTF-8 BOM
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  if (bytes[i] === 0x7b) return 'json';
  const start = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new EngineError('bad-input', `Unrecognised vector file (it starts with bytes ${start || 'nothing: it is empty'}): expected Steering Lab JSON, `
    + 'safetensors, a llama.cpp control-vector GGUF, or a PyTorch .pt file saved with torch.save. Save the vectors in one of those formats.');
}

export type ModelCompat = Pick<ModelInfo, 'id' | 'architecture' | 'modelType' | 'numLayers' | 'hiddenSize'>;

export interface CompatOptions {
  /** Accept a vector made on a different checkpoint of the same shape (e.g. base vs instruct). Shapes must still match. */
  allowOtherModel?: boolean;
}

/** Lower-case alphanumerics with the HF class suffix removed: "Qwen2ForCausalLM" and "qwen2" compare equal. */
const normArch = (s: string): string => s.toLowerCase().replace(/forcausallm$/, '').replace(/[^a-z0-9]/g, '');

/** Throws a bad-input error explaining the mismatch; returns quietly when the vector fits the model. */
export function checkVectorFitsModel(set: VectorSet, model: ModelCompat, opts: CompatOptions = {}): void {
  const m = set.meta;
  const where = m.modelId ? `made for "${m.modelId}"` : m.architecture ? `made for a "${m.architecture}" model` : 'from a file without a model id';
  const loaded = `the loaded model "${model.id}"`;
  if (m.hiddenSize !== model.hiddenSize) {
    throw new EngineError('bad-input', `This vector (${where}) has hidden size ${m.hiddenSize}, but ${loaded} has hidden size ${model.hiddenSize}. `
      + 'A vector only works on the model family it was extracted from: load that model, or extract a new vector for this one.');
  }
  // A set without `layers` claims one row per layer of its model, so its count must match exactly;
  // a set listing its layers (GGUF, partial sets) only needs every listed layer to exist in the model.
  const deepest = m.layers?.length ? Math.max(...m.layers) : m.numLayers - 1;
  const fits = m.layers ? deepest < model.numLayers : m.numLayers === model.numLayers;
  if (!fits) {
    const what = m.layers ? `uses layers up to ${deepest}` : `has one vector for each of ${m.numLayers} layers`;
    throw new EngineError('bad-input', `This vector (${where}) ${what}, but ${loaded} has ${model.numLayers} layers (0..${model.numLayers - 1}). `
      + 'Load the model it was made for, or extract a new vector for this one.');
  }
  if (opts.allowOtherModel) return;
  if (m.modelId && m.modelId.toLowerCase() !== model.id.toLowerCase()) {
    throw new EngineError('bad-input', `This vector was made for "${m.modelId}", but ${loaded} is different. `
      + 'Load that model, or import anyway only if you know the two checkpoints share their residual stream (e.g. the same model in another precision).');
  }
  const sameArch = (a: string): boolean => normArch(a) === normArch(model.architecture) || (!!model.modelType && normArch(a) === normArch(model.modelType));
  if (!m.modelId && m.architecture && !sameArch(m.architecture)) {
    throw new EngineError('bad-input', `This control vector's model hint is "${m.architecture}", but ${loaded} is a "${model.architecture}" model. `
      + 'Load a model of that architecture, or import anyway if you know the hint is wrong.');
  }
}

export interface ImportOptions extends CompatOptions {
  /** A file holding one vector without a layer: the layer it belongs to (the UI asks; the CLI's --vector-layer). */
  layer?: number;
  /** What a foreign file's layer indices mean, when the file does not say (the UI asks; the CLI's --vector-convention). */
  convention?: IndexConvention;
}

export interface ImportResult {
  format: VectorFormat;
  set: VectorSet;
  /** What the importer decided for the user to read: which rows went to which layers, what was dropped. */
  notes: string[];
}

/**
 * Detects, parses and (when a model is given) checks a vector file. A foreign file whose layer meaning is
 * ambiguous throws ImportChoiceError (foreign.ts); call again with `layer` or `convention` set.
 */
export function importVectorFile(bytes: Uint8Array, model?: ModelCompat, opts: ImportOptions = {}): ImportResult {
  const format = detectVectorFormat(bytes);
  const foreignOpts = { layer: opts.layer, convention: opts.convention, modelLayers: model?.numLayers };
  let set: VectorSet;
  let notes: string[] = [];
  if (format === 'gguf') set = readControlVectorGguf(bytes);
  else if (format === 'safetensors') ({ set, notes } = readSafetensorsVectors(bytes, foreignOpts));
  else if (format === 'pt') ({ set, notes } = readTorchVectors(bytes, foreignOpts));
  else {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new EngineError('bad-input', 'Vector JSON: the file is not valid UTF-8 text.');
    }
    set = importVectorJson(text);
  }
  if (model) checkVectorFitsModel(set, model, opts);
  return { format, set, notes };
}
