/**
 * Tensor bytes every layer reads: the safetensors header (format spec: 8-byte little-endian header length N,
 * N bytes of UTF-8 JSON {name: {dtype, shape, data_offsets}} plus an optional "__metadata__" string map) and
 * little-endian float decoding. Vector files (io/) and LoRA adapters (the core) both read safetensors.
 */
import { EngineError } from './errors';
import { f16BitsToF32 } from './f16';

const MAX_HEADER = 100 * 1024 * 1024;

const bad = (m: string): EngineError => new EngineError('bad-input', `safetensors: ${m}`);

export type FloatDtype = 'F32' | 'F16' | 'BF16' | 'F64';
export const BYTES_PER: Record<FloatDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

/** Little-endian floats of any supported width to float32 (F64 rounds to nearest; F16/BF16 are exact). */
export function floatsToF32(bytes: Uint8Array, offset: number, count: number, dtype: FloatDtype): Float32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset + offset, count * BYTES_PER[dtype]);
  const out = new Float32Array(count);
  const u = new Uint32Array(out.buffer);
  for (let i = 0; i < count; i++) {
    if (dtype === 'F32') out[i] = dv.getFloat32(i * 4, true);
    else if (dtype === 'F64') out[i] = dv.getFloat64(i * 8, true);
    else if (dtype === 'F16') out[i] = f16BitsToF32(dv.getUint16(i * 2, true));
    else u[i] = dv.getUint16(i * 2, true) << 16; // bfloat16 is the top half of a float32
  }
  return out;
}

export interface TensorEntry { name: string; dtype: string; shape: number[]; begin: number; end: number }

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
