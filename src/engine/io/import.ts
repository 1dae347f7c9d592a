/**
 * One entry point for vector files: detect the format, parse, and refuse vectors that do not fit the
 * loaded model, with a message that says what was expected, what was found and what to do.
 */
import type { ModelInfo } from '../api';
import { EngineError } from '../errors';
import type { VectorSet } from '../vectors/meta';
import { readControlVectorGguf } from './gguf';
import { readSafetensors } from './safetensors';
import { importVectorJson } from './vectorJson';

export type VectorFormat = 'json' | 'safetensors' | 'gguf';

export function detectVectorFormat(bytes: Uint8Array): VectorFormat {
  if (bytes.length >= 4 && bytes[0] === 0x47 && bytes[1] === 0x47 && bytes[2] === 0x55 && bytes[3] === 0x46) return 'gguf';
  // safetensors: u64 header length that fits in the file, then a JSON object.
  if (bytes.length >= 10 && bytes[8] === 0x7b) {
    const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
    if (n >= 2n && n <= BigInt(bytes.length - 8)) return 'safetensors';
  }
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0; // UTF-8 BOM
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  if (bytes[i] === 0x7b) return 'json';
  throw new EngineError('bad-input', 'Unrecognised vector file: expected Steering Lab JSON, safetensors, or a llama.cpp control-vector GGUF.');
}

export type ModelCompat = Pick<ModelInfo, 'id' | 'architecture' | 'numLayers' | 'hiddenSize'>;

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
  if (!m.modelId && m.architecture && normArch(m.architecture) !== normArch(model.architecture)) {
    throw new EngineError('bad-input', `This control vector's model hint is "${m.architecture}", but ${loaded} is a "${model.architecture}" model. `
      + 'Load a model of that architecture, or import anyway if you know the hint is wrong.');
  }
}

export interface ImportResult {
  format: VectorFormat;
  set: VectorSet;
}

/** Detects, parses and (when a model is given) checks a vector file. */
export function importVectorFile(bytes: Uint8Array, model?: ModelCompat, opts: CompatOptions = {}): ImportResult {
  const format = detectVectorFormat(bytes);
  let set: VectorSet;
  if (format === 'gguf') set = readControlVectorGguf(bytes);
  else if (format === 'safetensors') set = readSafetensors(bytes);
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
  return { format, set };
}
