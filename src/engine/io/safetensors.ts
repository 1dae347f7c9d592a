/**
 * safetensors, from the format spec: 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * ({name: {dtype, shape, data_offsets: [begin, end)}} plus an optional "__metadata__" string map), then the
 * tensor bytes, offsets relative to the end of the header. We write one F32 tensor "vectors" [numLayers, hiddenSize]
 * and our metadata as JSON in __metadata__["steering_lab.meta"]. Other tools\' files (F16/BF16/F64, per-layer names)
 * are read through foreign.ts.
 */
import { EngineError } from '../errors';
import { LAYER_CONVENTION, type VectorSet, checkVectorSet, parseVectorMeta } from '../vectors/meta';
import { assertFinite } from '../linalg';
import { float32ToLE } from './base64';
import { type FloatDtype, type ForeignOptions, type ForeignResult, BYTES_PER, assembleForeign, floatsToF32 } from './foreign';

export const SAFETENSORS_META_KEY = 'steering_lab.meta';
const MAX_HEADER = 100 * 1024 * 1024;

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

interface TensorEntry { name: string; dtype: string; shape: number[]; begin: number; end: number }

export interface SafetensorsFile {
  metadata: Record<string, string>;
  tensors: TensorEntry[];
  /** Start of the data section within the file. */
  dataStart: number;
}

/** Parses and checks the header: offsets inside the file, sizes matching shapes, no overlaps or holes. */
export function readSafetensorsHeader(bytes: Uint8Array): SafetensorsFile {
  if (bytes.length < 8) throw bad('file is shorter than the 8-byte header length.');
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER, bytes.length - 8))) throw bad(`header length ${n} exceeds the file (${bytes.length} bytes); the file is truncated or not safetensors.`);
  const dataStart = 8 + Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (e) {
    throw bad(`header is not valid UTF-8 JSON (${e instanceof Error ? e.message : String(e)}).`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw bad('header must be a JSON object.');
  const metadata: Record<string, string> = {};
  const tensors: TensorEntry[] = [];
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof v !== 'object' || v === null) throw bad('__metadata__ must be an object of strings.');
      for (const [k, s] of Object.entries(v)) {
        if (typeof s !== 'string') throw bad(`__metadata__.${k} must be a string.`);
        metadata[k] = s;
      }
      continue;
    }
    const t = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const off = t?.data_offsets;
    if (typeof t?.dtype !== 'string' || !Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)
      || !Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[1] < off[0]) {
      throw bad(`tensor "${name}" needs dtype, a shape of non-negative integers and data_offsets [begin, end].`);
    }
    tensors.push({ name, dtype: t.dtype, shape: t.shape as number[], begin: off[0], end: off[1] });
  }
  const dataLen = bytes.length - dataStart;
  let cursor = 0;
  for (const t of [...tensors].sort((a, b) => a.begin - b.begin)) {
    if (t.begin !== cursor) throw bad(`tensor "${t.name}" starts at ${t.begin} but the previous tensor ends at ${cursor} (holes and overlaps are not allowed).`);
    if (t.end > dataLen) throw bad(`tensor "${t.name}" ends at ${t.end}, past the ${dataLen} data bytes; the file is truncated.`);
    cursor = t.end;
  }
  if (cursor !== dataLen) throw bad(`${dataLen - cursor} bytes after the last tensor are not described by the header.`);
  return { metadata, tensors, dataStart };
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
