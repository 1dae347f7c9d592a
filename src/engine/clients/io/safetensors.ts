/**
 * safetensors, from the format spec: 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * ({name: {dtype, shape, data_offsets: [begin, end)}} plus an optional "__metadata__" string map), then the
 * tensor bytes, offsets relative to the end of the header. We write one F32 tensor "vectors" [numLayers, hiddenSize]
 * and our metadata as JSON in __metadata__["steering_lab.meta"]. Other tools\' files (F16/BF16/F64, per-layer names)
 * are read through foreign.ts.
 */
import { EngineError } from '../../shared/errors';
import { LAYER_CONVENTION, type VectorSet, checkVectorSet, parseVectorMeta } from '../vectors/meta';
import { assertFinite } from '../../shared/linalg';
import { float32ToLE } from './base64';
import { type ForeignOptions, type ForeignResult, assembleForeign } from './foreign';
import { BYTES_PER, floatsToF32, readSafetensorsHeader, type FloatDtype, type SafetensorsFile, type TensorEntry } from '../../shared/tensorBytes';

export { readSafetensorsHeader, type SafetensorsFile };

export const SAFETENSORS_META_KEY = 'steering_lab.meta';

const bad = (m: string): EngineError => new EngineError('bad-input', `safetensors: ${m}`);

export function writeSafetensors(set: VectorSet): Uint8Array {
  checkVectorSet(set, 'safetensors export');
  const { numLayers, hiddenSize } = set.meta;
  const data = float32ToLE(set.vectors);
  const header = {
    __metadata__: {
      [SAFETENSORS_META_KEY]: JSON.stringify(set.meta),
      layer_convention: LAYER_CONVENTION,
      model_id: set.meta.modelId,
    },
    vectors: { dtype: 'F32', shape: [numLayers, hiddenSize], data_offsets: [0, data.length] },
  };
  let json = new TextEncoder().encode(JSON.stringify(header));
  // Pad with spaces (allowed by the spec) so tensor data starts 8-byte aligned for zero-copy readers.
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const DTYPES = new Set<string>(['F32', 'F16', 'BF16', 'F64']);

/** Any float dtype torch users save (F32, F16, BF16, F64), converted to float32. */
function readFloats(bytes: Uint8Array, f: SafetensorsFile, t: TensorEntry): Float32Array {
  if (!DTYPES.has(t.dtype)) throw bad(`tensor "${t.name}" has dtype ${t.dtype}; steering vectors must be floating point (F32, F16, BF16 or F64). Convert it (tensor.float()) and save again.`);
  const dtype = t.dtype as FloatDtype;
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (t.end - t.begin !== count * BYTES_PER[dtype]) throw bad(`tensor "${t.name}" has ${t.end - t.begin} bytes; shape [${t.shape}] of ${dtype} needs ${count * BYTES_PER[dtype]}.`);
  const out = floatsToF32(bytes, f.dataStart + t.begin, count, dtype);
  assertFinite(out, `safetensors tensor "${t.name}"`);
  return out;
}

/**
 * Any vector safetensors file: ours (metadata states everything), or another tool's, read through the common
 * layouts of foreign.ts. Our own "vectors" tensor without metadata keeps its meaning (row L = layer L) unless the
 * loaded model's layer count says otherwise, in which case the caller is asked.
 */
export function readSafetensorsVectors(bytes: Uint8Array, opts: ForeignOptions = {}): ForeignResult {
  const f = readSafetensorsHeader(bytes);
  const metaText = f.metadata[SAFETENSORS_META_KEY];
  if (metaText === undefined) {
    const tensors = f.tensors.map((t) => ({ name: t.name, shape: t.shape, data: readFloats(bytes, f, t) }));
    const own = tensors.length === 1 && tensors[0].name === 'vectors';
    return assembleForeign(tensors, 'safetensors', opts, own ? 'layers' : undefined, f.metadata.model_id ?? '');
  }
  const main = f.tensors.find((t) => t.name === 'vectors');
  if (!main) throw bad('the file has Steering Lab metadata but no "vectors" tensor.');
  if (main.shape.length !== 2) throw bad(`tensor "vectors" must be 2-D [numLayers, hiddenSize] (found shape [${main.shape}]).`);
  const vectors = readFloats(bytes, f, main);
  let parsed: unknown;
  try {
    parsed = JSON.parse(metaText);
  } catch {
    throw bad(`__metadata__["${SAFETENSORS_META_KEY}"] is not valid JSON.`);
  }
  const meta = parseVectorMeta(parsed, 'safetensors');
  if (meta.numLayers !== main.shape[0] || meta.hiddenSize !== main.shape[1]) {
    throw bad(`tensor "vectors" has shape [${main.shape}] but the metadata says [${meta.numLayers}, ${meta.hiddenSize}].`);
  }
  const set = { vectors, meta };
  checkVectorSet(set, 'safetensors');
  return { set, notes: [] };
}

/** readSafetensorsVectors without the notes. */
export const readSafetensors = (bytes: Uint8Array, opts: ForeignOptions = {}): VectorSet => readSafetensorsVectors(bytes, opts).set;
