/**
 * Edges of the vector file formats and the share-link codec, with exact messages, and the codec's pieces
 * against independent implementations (Node's zlib.crc32 and Buffer's base64url).
 */
import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MAX_ABS_COEFF } from '../../../src/engine/shared/limits';
import { readSafetensors, readSafetensorsHeader, writeSafetensors } from '../../../src/engine/clients/io/safetensors';
import { crc32, decodeShareLink, encodeShareLink, type ShareState } from '../../../src/engine/clients/io/shareLink';
import { base64ToBytes, bytesToBase64, float32FromLE, float32ToLE } from '../../../src/engine/clients/io/base64';
import { exportVectorJson, importVectorJson, toVectorJson } from '../../../src/engine/clients/io/vectorJson';
import { checkVectorFitsModel, detectVectorFormat, importVectorFile } from '../../../src/engine/clients/io/import';
import { trickySet } from './sets';
import { base64UrlToBytes, bytesToBase64Url } from '../../../src/engine/clients/io/base64';

/** A safetensors file from the spec: header JSON as given, then the data. */
function st(header: object | string | Uint8Array, data: ArrayLike<number> = []): Uint8Array {
  const json = header instanceof Uint8Array ? header : new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(Array.from(data), 8 + json.length);
  return out;
}
const f32 = (...xs: number[]) => float32ToLE(new Float32Array(xs));

describe('safetensors edges', () => {
  it('header problems, each with its message', () => {
    expect(() => readSafetensorsHeader(new Uint8Array(7))).toThrow('safetensors: file is shorter than the 8-byte header length.');
    expect(readSafetensorsHeader(st({}))).toEqual({ metadata: {}, tensors: [], dataStart: 10 });
    const long = st({});
    long[0] = 3; // header length 3 > 2 bytes left
    expect(() => readSafetensorsHeader(long)).toThrow('safetensors: header length 3 exceeds the file (10 bytes); the file is truncated or not safetensors.');
    expect(() => readSafetensorsHeader(st('{"a":'))).toThrow(/^safetensors: header is not valid UTF-8 JSON \(/);
    expect(() => readSafetensorsHeader(st(new Uint8Array([0x7b, 0xff, 0x7d])))).toThrow(/not valid UTF-8 JSON/);
    expect(() => readSafetensorsHeader(st('[]'))).toThrow('safetensors: header must be a JSON object.');
    expect(() => readSafetensorsHeader(st('null'))).toThrow('header must be a JSON object.');
    expect(() => readSafetensorsHeader(st({ __metadata__: 'x' }))).toThrow('safetensors: __metadata__ must be an object of strings.');
    expect(() => readSafetensorsHeader(st({ __metadata__: null }))).toThrow('__metadata__ must be an object of strings.');
    expect(() => readSafetensorsHeader(st({ __metadata__: { a: 1 } }))).toThrow('safetensors: __metadata__.a must be a string.');
    expect(readSafetensorsHeader(st({ __metadata__: { a: 'b' } })).metadata).toEqual({ a: 'b' });
  });

  it('tensor entries must have dtype, a shape and ordered offsets that tile the data', () => {
    const msg = 'safetensors: tensor "t" needs dtype, a shape of non-negative integers and data_offsets [begin, end].';
    const one = (t: object, data: ArrayLike<number> = []) => () => readSafetensorsHeader(st({ t }, data));
    expect(one({ shape: [1], data_offsets: [0, 4] }, f32(1))).toThrow(msg);
    expect(one({ dtype: 'F32', data_offsets: [0, 4] }, f32(1))).toThrow(msg);
    expect(one({ dtype: 'F32', shape: [-1], data_offsets: [0, 4] }, f32(1))).toThrow(msg);
    expect(one({ dtype: 'F32', shape: [1.5], data_offsets: [0, 4] }, f32(1))).toThrow(msg);
    expect(one({ dtype: 'F32', shape: [1] }, f32(1))).toThrow(msg);
    expect(one({ dtype: 'F32', shape: [1], data_offsets: [0] }, f32(1))).toThrow(msg);
    expect(one({ dtype: 'F32', shape: [1], data_offsets: [4, 0] }, f32(1))).toThrow(msg);
    expect(one({ dtype: 'F32', shape: [1], data_offsets: [-4, 0] }, f32(1))).toThrow(msg);
    expect(one({ dtype: 'F32', shape: [1], data_offsets: [0, 4.5] }, f32(1))).toThrow(msg);
    expect(one(null as unknown as object)).toThrow(msg);
    expect(one({ dtype: 'F32', shape: [0], data_offsets: [0, 0] })).not.toThrow();
    expect(one({ dtype: 'F32', shape: [1], data_offsets: [0, 4] }, f32(1, 2))).toThrow('safetensors: 4 bytes after the last tensor are not described by the header.');
    expect(one({ dtype: 'F32', shape: [2], data_offsets: [0, 8] }, f32(1))).toThrow('safetensors: tensor "t" ends at 8, past the 4 data bytes; the file is truncated.');
    expect(() => readSafetensorsHeader(st({ b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] }, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(1, 2, 3))))
      .toThrow('safetensors: tensor "b" starts at 8 but the previous tensor ends at 4 (holes and overlaps are not allowed).');
    // Out of order in the header but tiling the data: fine.
    const ok = readSafetensorsHeader(st({ b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] }, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(1, 2)));
    expect(ok.tensors.map((t) => [t.name, t.begin, t.end])).toEqual([['b', 4, 8], ['a', 0, 4]]);
  });

  it('our own files: a 2-D "vectors" tensor matching the metadata, or per-layer "layers.N"', () => {
    const set = trickySet(2, 3);
    const meta = JSON.stringify(set.meta);
    const v = (shape: number[], n = shape.reduce((a, b) => a * b, 1)) => ({ vectors: { dtype: 'F32', shape, data_offsets: [0, 4 * n] } });
    expect(() => readSafetensors(st({ __metadata__: { 'steering_lab.meta': meta } }))).toThrow('safetensors: the file has Steering Lab metadata but no "vectors" tensor.');
    expect(() => readSafetensors(st({ __metadata__: { 'steering_lab.meta': meta }, ...v([6]) }, f32(1, 2, 3, 4, 5, 6)))).toThrow('safetensors: tensor "vectors" must be 2-D [numLayers, hiddenSize] (found shape [6]).');
    expect(() => readSafetensors(st({ __metadata__: { 'steering_lab.meta': meta }, ...v([3, 2]) }, f32(1, 2, 3, 4, 5, 6)))).toThrow('safetensors: tensor "vectors" has shape [3,2] but the metadata says [2, 3].');
    expect(() => readSafetensors(st({ __metadata__: { 'steering_lab.meta': '{' }, ...v([2, 3]) }, f32(1, 2, 3, 4, 5, 6)))).toThrow('safetensors: __metadata__["steering_lab.meta"] is not valid JSON.');
    // Without our metadata: rows are layers, model id from model_id when present.
    const plain = readSafetensors(st({ ...v([2, 3]) }, f32(1, 2, 3, 4, 5, 6)));
    expect(plain.meta).toMatchObject({ modelId: '', numLayers: 2, hiddenSize: 3, method: 'imported', pooling: 'unknown', normalized: false });
    expect(plain.meta.notes).toBe('Imported: rows of "vectors" [2, 3]: index N = output of model.layers[N], so indices 0, 1 went to the same layers.');
    expect(() => readSafetensors(st({}))).toThrow('safetensors: the file holds no tensors.');
    const mixed = st({ 'layers.1': { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, other: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(1, 2));
    expect(() => readSafetensors(mixed)).toThrow('found "layers.1" [1], "other" [1]. Save the vectors in one of those layouts.');
    const ragged = st({ 'layers.0': { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, 'layers.1': { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32(1, 2, 3));
    expect(() => readSafetensors(ragged)).toThrow('safetensors: all vectors must have the same non-zero length; found "layers.0" [1], "layers.1" [2].');
    const empty = st({ 'layers.0': { dtype: 'F32', shape: [0], data_offsets: [0, 0] } });
    expect(() => readSafetensors(empty)).toThrow('"layers.0" [0]');
    const foreign = readSafetensors(st({ __metadata__: { model_id: 'org/m' }, 'layers.2': { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, 'layers.0': { dtype: 'F32', shape: [2], data_offsets: [8, 16] } }, f32(1, 2, 3, 4)));
    expect(foreign.meta).toMatchObject({ modelId: 'org/m', numLayers: 3, hiddenSize: 2, layers: [0, 2] });
    expect(Array.from(foreign.vectors)).toEqual([3, 4, 0, 0, 1, 2]);
    expect(() => readSafetensors(st({ 'layers.0': { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, f32(1))))
      .toThrow('safetensors: tensor "layers.0" has 4 bytes; shape [2] of F32 needs 8.');
    expect(() => readSafetensors(st({ 'layers.0': { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(Infinity)))).toThrow(/Infinity/);
  });

  it('the writer pads the header with spaces to 8 bytes only when needed', () => {
    for (const [L, D, model] of [[1, 1, 'a'], [2, 3, 'bb'], [1, 2, 'ccc'], [3, 1, 'dddd']] as const) {
      const set = trickySet(L, D);
      set.meta.modelId = model;
      const bytes = writeSafetensors(set);
      const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      expect(n % 8).toBe(0);
      const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
      const bare = JSON.stringify(JSON.parse(text));
      expect(text).toBe(bare + ' '.repeat(n - bare.length));
      expect(n - bare.length).toBeLessThan(8);
      expect(bytes.length).toBe(8 + n + 4 * L * D);
    }
  });
});

describe('base64 against Buffer', () => {
  it('encodes and decodes every length 0..40 and across the 8 KiB chunking', () => {
    for (let n = 0; n <= 40; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 151 + n * 7) & 255);
      expect(bytesToBase64(b)).toBe(Buffer.from(b).toString('base64'));
      expect(Buffer.from(base64ToBytes(Buffer.from(b).toString('base64'))).equals(Buffer.from(b))).toBe(true);
    }
    const big = Uint8Array.from({ length: 3 * 8192 + 5 }, (_, i) => (i * 31) & 255);
    expect(bytesToBase64(big)).toBe(Buffer.from(big).toString('base64'));
    expect(Buffer.from(base64ToBytes(Buffer.from(big).toString('base64'))).equals(Buffer.from(big))).toBe(true);
    expect(Array.from(base64ToBytes(' QU\nJD\tRA== '))).toEqual([65, 66, 67, 68]);
    expect(() => base64ToBytes('QUJD=A==')).toThrow('base64 data is not valid base64.');
    expect(() => base64ToBytes('QU===')).toThrow(/not valid base64/);
    expect(() => base64ToBytes('QUJ')).toThrow(/not valid base64/);
  });

  it('float32 little-endian at an offset, without aliasing the input', () => {
    const bytes = new Uint8Array([7, 0, 0, 0xc0, 0x3f, 0, 0, 0x80, 0xbf]);
    const out = float32FromLE(bytes.subarray(1), 0, 2);
    expect(Array.from(out)).toEqual([1.5, -1]);
    expect(Array.from(float32FromLE(bytes, 5, 1))).toEqual([-1]);
    bytes[4] = 0;
    expect(out[0]).toBe(1.5);
    expect(Array.from(float32ToLE(new Float32Array([-2, 0.5])))).toEqual([0, 0, 0, 0xc0, 0, 0, 0, 0x3f]);
  });
});

describe('share link pieces against independent implementations', () => {
  it('crc32 is the IEEE CRC-32 of zlib', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926); // the standard check value
    expect(crc32(new Uint8Array(0))).toBe(0);
    for (const n of [1, 7, 255, 1000]) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 97 + 13) & 255);
      expect(crc32(b)).toBe(zlibCrc32(b));
    }
  });

  it('bytesToBase64Url is unpadded RFC 4648 base64url, as Buffer writes it', () => {
    for (let n = 0; n <= 12; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => 250 - i * 3);
      expect(bytesToBase64Url(b)).toBe(Buffer.from(b).toString('base64url'));
    }
    const big = Uint8Array.from({ length: 0x8000 * 2 + 3 }, (_, i) => (i * 7) & 255);
    expect(bytesToBase64Url(big)).toBe(Buffer.from(big).toString('base64url'));
  });

  it('base64UrlToBytes reads what Buffer writes as base64url, and refuses what is not base64url', () => {
    for (let n = 0; n <= 12; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => 250 - i * 3);
      expect(base64UrlToBytes(Buffer.from(b).toString('base64url'))).toEqual(b);
    }
    expect(base64UrlToBytes('ab+/')).toBeNull();
    expect(base64UrlToBytes('abcde')).toBeNull();
    expect(base64UrlToBytes('ab=c')).toBeNull();
  });

  const state = (over: Partial<ShareState> = {}): ShareState => ({
    modelId: 'org/model', dtype: 'fp16', vector: new Float32Array([0.5, -2, 0, 1e-3]), traitName: 't', layer: 0, coeff: 0,
    mode: 'all', prompt: '', systemPrompt: '', seed: 0, temperature: 0, maxTokens: 1, ...over,
  });

  it('round-trips the limits of every field, a zero vector, and the vector\'s largest value exactly', () => {
    const edge = state({ layer: 255, coeff: -MAX_ABS_COEFF, seed: 0xffffffff, temperature: 5, maxTokens: 1024, modelId: 'a', dtype: 'quantized', mode: 'prompt' });
    const back = decodeShareLink(encodeShareLink(edge));
    expect({ ...back, vector: [] }).toEqual({ ...edge, vector: [] });
    expect(back.vector[1]).toBe(-2); // the scale itself is exact
    expect(back.vector[0]).toBe(0.5);
    const zero = decodeShareLink(encodeShareLink(state({ vector: new Float32Array(3) })));
    expect(Array.from(zero.vector)).toEqual([0, 0, 0]);
    // A bare payload (no "#s=") decodes too.
    expect(decodeShareLink(encodeShareLink(state()).slice(3)).modelId).toBe('org/model');
  });

  it('refuses each out-of-range field by name when encoding', () => {
    const refuse = (over: Partial<ShareState>, field: string) => expect(() => encodeShareLink(state(over))).toThrow(`Cannot share this state: ${field}`);
    refuse({ layer: 256 }, 'layer must be <= 255');
    refuse({ layer: -1 }, 'layer must be >= 0');
    refuse({ coeff: MAX_ABS_COEFF + 0.5 }, `coeff must be <= ${MAX_ABS_COEFF}`);
    refuse({ seed: 2 ** 32 }, 'seed must be <= 4294967295');
    refuse({ temperature: 5.01 }, 'temperature must be <= 5');
    refuse({ maxTokens: 0 }, 'maxTokens must be >= 1');
    refuse({ maxTokens: 1025 }, 'maxTokens must be <= 1024');
    refuse({ modelId: '' }, 'modelId must NOT have fewer than 1 characters');
    refuse({ modelId: 'x'.repeat(121) }, 'modelId must NOT have more than 120 characters');
    refuse({ traitName: 'x'.repeat(81) }, 'traitName must NOT have more than 80 characters');
    refuse({ systemPrompt: 'x'.repeat(4001) }, 'systemPrompt must NOT have more than 4000 characters');
    refuse({ dtype: 'fp8' as ShareState['dtype'] }, 'dtype must be equal to one of the allowed values');
    refuse({ vector: new Float32Array(16385) }, 'dims must be <= 16384');
    refuse({ vector: new Float32Array(0) }, 'dims must be >= 1');
    expect(() => encodeShareLink(state({ vector: new Float32Array([1, Infinity]) }))).toThrow('The steering vector contains NaN or infinite values and cannot be shared.');
  });
});

describe('vector JSON and import edges', () => {
  const set = trickySet(2, 3);
  const j = () => JSON.parse(exportVectorJson(set));
  it('exact messages for each malformed field', () => {
    expect(() => importVectorJson('{')).toThrow(/^Vector JSON: not valid JSON \(/);
    expect(() => importVectorJson('null')).toThrow('Vector JSON: expected an object.');
    expect(() => importVectorJson(42)).toThrow('Vector JSON: expected an object.');
    expect(() => importVectorJson({ ...j(), format: 'x' })).toThrow('Vector JSON: "format" must be "steering-lab.vectors" (found "x").');
    expect(() => importVectorJson({ ...j(), version: 2 })).toThrow('Vector JSON: version 2 is not supported (this build reads version 1).');
    expect(() => importVectorJson({ ...j(), dtype: 'float16' })).toThrow('Vector JSON: only dtype "float32" with byteOrder "little" is supported.');
    expect(() => importVectorJson({ ...j(), byteOrder: 'big' })).toThrow('only dtype "float32" with byteOrder "little"');
    expect(() => importVectorJson({ ...j(), shape: [3, 2] })).toThrow('Vector JSON: shape [3,2] does not match metadata [2, 3].');
    expect(() => importVectorJson({ ...j(), shape: [2, 4] })).toThrow('shape [2,4] does not match');
    expect(() => importVectorJson({ ...j(), shape: '2x3' })).toThrow('shape "2x3" does not match');
    expect(() => importVectorJson({ ...j(), data: 5 })).toThrow('Vector JSON: "data" must be a base64 string.');
    expect(() => importVectorJson({ ...j(), data: 'AAAA' })).toThrow('Vector JSON: "data" holds 3 bytes; 2 x 3 float32 needs 24.');
    expect(() => importVectorJson({ ...j(), data: '@@@@' })).toThrow('Vector JSON "data" is not valid base64.');
    // An object is taken as already parsed.
    expect(importVectorJson(toVectorJson(set)).meta).toEqual(set.meta);
    expect(toVectorJson(set)).toMatchObject({ format: 'steering-lab.vectors', version: 1, dtype: 'float32', byteOrder: 'little', shape: [2, 3] });
    expect(exportVectorJson(set)).toContain('\n "format": "steering-lab.vectors"');
  });

  it('format detection by magic bytes and leading whitespace', () => {
    const sf = writeSafetensors(set);
    expect(detectVectorFormat(sf)).toBe('safetensors');
    expect(detectVectorFormat(new TextEncoder().encode('\t\r\n {}'))).toBe('json');
    // A header length too short (< 2) or past the file is not safetensors, even with "{" at byte 8.
    const tiny = st({});
    tiny[0] = 1;
    expect(() => detectVectorFormat(tiny)).toThrow(/Unrecognised/);
    expect(detectVectorFormat(st({}))).toBe('safetensors');
    expect(() => detectVectorFormat(new Uint8Array([0x47, 0x47, 0x55]))).toThrow('Unrecognised vector file (it starts with bytes 47 47 55): expected Steering Lab JSON, safetensors, a llama.cpp control-vector GGUF, or a PyTorch .pt file saved with torch.save. Save the vectors in one of those formats.');
    expect(() => detectVectorFormat(new Uint8Array(0))).toThrow(/Unrecognised/);
    expect(() => detectVectorFormat(new TextEncoder().encode('  [1]'))).toThrow(/Unrecognised/);
    expect(importVectorFile(new TextEncoder().encode(exportVectorJson(set))).format).toBe('json');
  });

  it('model checks: names the file\'s origin in each message, accepts other checkpoints of the same shape on request', () => {
    const model = { id: set.meta.modelId, architecture: 'qwen2', numLayers: 2, hiddenSize: 3 };
    expect(() => checkVectorFitsModel(set, model)).not.toThrow();
    expect(() => checkVectorFitsModel(set, { ...model, id: set.meta.modelId.toUpperCase() })).not.toThrow();
    const noId = { ...set, meta: { ...set.meta, modelId: '', architecture: undefined } };
    expect(() => checkVectorFitsModel(noId, { ...model, hiddenSize: 4 })).toThrow('This vector (from a file without a model id) has hidden size 3, but the loaded model "onnx-community/Qwen2.5-0.5B-Instruct" has hidden size 4. A vector only works');
    const byArch = { ...set, meta: { ...set.meta, modelId: '', architecture: 'llama' } };
    expect(() => checkVectorFitsModel(byArch, { ...model, numLayers: 3 })).toThrow('This vector (made for a "llama" model) has one vector for each of 2 layers, but the loaded model "onnx-community/Qwen2.5-0.5B-Instruct" has 3 layers (0..2). Load the model it was made for');
    expect(() => checkVectorFitsModel(byArch, model, { allowOtherModel: true })).not.toThrow();
    expect(() => checkVectorFitsModel(byArch, model)).toThrow('This control vector\'s model hint is "llama", but the loaded model "onnx-community/Qwen2.5-0.5B-Instruct" is a "qwen2" model.');
    expect(() => checkVectorFitsModel({ ...byArch, meta: { ...byArch.meta, architecture: 'Qwen2ForCausalLM' } }, model)).not.toThrow();
    expect(() => checkVectorFitsModel(noId, model)).not.toThrow();
    expect(() => checkVectorFitsModel(set, { ...model, id: 'other/model' }, { allowOtherModel: true })).not.toThrow();
    // A set listing its layers only needs the deepest one to exist.
    const partial = { ...set, meta: { ...set.meta, layers: [1] } };
    expect(() => checkVectorFitsModel(partial, { ...model, numLayers: 5 })).not.toThrow();
    expect(() => checkVectorFitsModel(partial, { ...model, numLayers: 1 })).toThrow('uses layers up to 1, but');
    const noLayers = { ...set, meta: { ...set.meta, layers: [] } };
    expect(() => checkVectorFitsModel(noLayers, { ...model, numLayers: 2 })).not.toThrow();
  });
});
