import { describe, expect, it } from 'vitest';
import { ImportChoiceError } from '../../../src/engine/clients/io/foreign';
import { SAFETENSORS_META_KEY, readSafetensors, readSafetensorsHeader, readSafetensorsVectors, writeSafetensors } from '../../../src/engine/clients/io/safetensors';
import { LAYER_CONVENTION } from '../../../src/engine/clients/vectors/meta';
import { bits, trickySet } from './sets';

/** Builds a safetensors file by hand from the spec, independent of our writer. */
function handMade(header: object, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('round-trips bit-exactly with metadata', () => {
    const set = trickySet(4, 6);
    const back = readSafetensors(writeSafetensors(set));
    expect(bits(back.vectors)).toEqual(bits(set.vectors));
    expect(back.meta).toEqual(set.meta);
  });

  it('writes a spec-conformant layout: LE u64 header size, F32 tensor, string metadata, 8-byte aligned data', () => {
    const set = trickySet(2, 3);
    const bytes = writeSafetensors(set);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header.vectors).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header.__metadata__.layer_convention).toBe(LAYER_CONVENTION);
    expect(JSON.parse(header.__metadata__[SAFETENSORS_META_KEY]).modelId).toBe(set.meta.modelId);
    expect(bytes.length).toBe(8 + n + 24);
    expect(new DataView(bytes.buffer).getFloat32(8 + n, true)).toBe(set.vectors[0]);
  });

  it('reads a foreign file with per-layer tensors', () => {
    const data = new Uint8Array(16);
    const dv = new DataView(data.buffer);
    [1, 2, 3, 4].forEach((v, i) => dv.setFloat32(i * 4, v, true));
    const file = handMade({ 'layers.2': { dtype: 'F32', shape: [2], data_offsets: [8, 16] }, 'layers.0': { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, data);
    const set = readSafetensors(file);
    expect(set.meta).toMatchObject({ method: 'imported', numLayers: 3, hiddenSize: 2, layers: [0, 2] });
    expect(Array.from(set.vectors)).toEqual([1, 2, 0, 0, 3, 4]);
  });

  it('refuses malformed files with clear messages', () => {
    const good = writeSafetensors(trickySet(2, 2));
    expect(() => readSafetensors(good.subarray(0, 5))).toThrow(/shorter than the 8-byte header/);
    expect(() => readSafetensors(good.subarray(0, good.length - 4))).toThrow(/truncated/);
    const huge = good.slice();
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    expect(() => readSafetensors(huge)).toThrow(/header length .* exceeds the file/);
    const i32 = handMade({ vectors: { dtype: 'I32', shape: [1, 2], data_offsets: [0, 8] } }, new Uint8Array(8));
    expect(() => readSafetensors(i32)).toThrow(/dtype I32; steering vectors must be floating point \(F32, F16, BF16 or F64\)/);
    const hole = handMade({ vectors: { dtype: 'F32', shape: [1, 1], data_offsets: [4, 8] } }, new Uint8Array(8));
    expect(() => readSafetensorsHeader(hole)).toThrow(/holes and overlaps/);
    const wrongSize = handMade({ vectors: { dtype: 'F32', shape: [1, 3], data_offsets: [0, 8] } }, new Uint8Array(8));
    expect(() => readSafetensors(wrongSize)).toThrow(/needs 12/);
    const other = handMade({ weight: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, bias: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8));
    expect(() => readSafetensors(other)).toThrow(/expected a tensor "vectors" .*found "weight" \[1\], "bias" \[1\]/);
  });

  it('refuses NaN values', () => {
    const data = new Uint8Array(8);
    new DataView(data.buffer).setFloat32(4, NaN, true);
    expect(() => readSafetensors(handMade({ vectors: { dtype: 'F32', shape: [1, 2], data_offsets: [0, 8] } }, data))).toThrow(/NaN/);
  });
});

/** A foreign file from named tensors in any dtype, laid out back to back as the spec requires. */
function foreign(tensors: [string, string, number[], Uint8Array][]): Uint8Array {
  let at = 0;
  const header: Record<string, object> = {};
  for (const [name, dtype, shape, data] of tensors) { header[name] = { dtype, shape, data_offsets: [at, at + data.length] }; at += data.length; }
  const all = new Uint8Array(at);
  at = 0;
  for (const [, , , data] of tensors) { all.set(data, at); at += data.length; }
  return handMade(header, all);
}
const le = (bytesPer: number, put: (dv: DataView, i: number, v: number) => void) => (values: number[]): Uint8Array => {
  const b = new Uint8Array(values.length * bytesPer);
  const dv = new DataView(b.buffer);
  values.forEach((v, i) => put(dv, i * bytesPer, v));
  return b;
};
const f32 = le(4, (dv, o, v) => dv.setFloat32(o, v, true));
const f64 = le(8, (dv, o, v) => dv.setFloat64(o, v, true));
const u16 = le(2, (dv, o, v) => dv.setUint16(o, v, true));

describe('safetensors from other tools', () => {
  it('converts F16, BF16 and F64 on import (bit patterns from the IEEE / bfloat16 definitions)', () => {
    // F16: 0x3c00 = 1, 0xc000 = -2, 0x0001 = 2^-24 (smallest subnormal), 0x7bff = 65504 (max half).
    // BF16: the top 16 bits of a float32: 0x3f80 = 1, 0xc060 = -3.5, 0x0080 = 2^-126.
    const file = foreign([
      ['layers.0', 'F16', [4], u16([0x3c00, 0xc000, 0x0001, 0x7bff])],
      ['layers.1', 'BF16', [4], u16([0x3f80, 0xc060, 0x0080, 0x8000])],
      ['layers.2', 'F64', [4], f64([0.1, -1e-50, 1e300 / 1e290, 3])],
    ]);
    const set = readSafetensors(file);
    expect(Array.from(set.vectors)).toEqual([1, -2, 2 ** -24, 65504, 1, -3.5, 2 ** -126, -0, Math.fround(0.1), -0, 1e10, 3]);
  });

  it('recognises direction.N (llama.cpp naming: layer N) without asking', () => {
    const r = readSafetensorsVectors(foreign([['direction.1', 'F32', [2], f32([1, 2])], ['direction.3', 'F32', [2], f32([3, 4])]]));
    expect(r.set.meta.layers).toEqual([1, 3]);
    expect(Array.from(r.set.vectors)).toEqual([0, 0, 1, 2, 0, 0, 3, 4]);
    expect(r.notes.join(' ')).toMatch(/direction\.N: index N = output of model\.layers\[N\], so indices 1, 3 went to the same layers/);
  });

  it('asks what layer_N and {"<layer>": v} mean, and maps each answer', () => {
    for (const names of [['layer_0', 'layer_2'], ['0', '2']]) {
      const file = foreign([[names[0], 'F32', [2], f32([1, 2])], [names[1], 'F32', [1, 2], f32([3, 4])]]);
      let caught: unknown;
      try { readSafetensorsVectors(file); } catch (e) { caught = e; }
      expect(caught).toBeInstanceOf(ImportChoiceError);
      expect((caught as ImportChoiceError).need).toBe('convention');
      expect((caught as Error).message).toMatch(/do not say what N means: .*model\.layers\[N\].*hidden_states\[N\].*--vector-convention/);
      const asLayers = readSafetensorsVectors(file, { convention: 'layers' });
      expect(asLayers.set.meta.layers).toEqual([0, 2]);
      expect(Array.from(asLayers.set.vectors)).toEqual([1, 2, 0, 0, 3, 4]);
      const asHidden = readSafetensorsVectors(file, { convention: 'hidden-states' });
      expect(asHidden.set.meta.layers).toEqual([1]);
      expect(Array.from(asHidden.set.vectors)).toEqual([0, 0, 3, 4]);
      expect(asHidden.notes.join(' ')).toMatch(/indices 2 went to layers 1; index 0 \(the embeddings\) was dropped/);
    }
  });

  it('keeps an unlabelled "vectors" tensor as one row per layer, but asks when the loaded model has one layer fewer than rows', () => {
    const file = foreign([['vectors', 'F32', [3, 2], f32([1, 2, 3, 4, 5, 6])]]);
    expect(Array.from(readSafetensors(file).vectors)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(readSafetensors(file, { modelLayers: 3 }).vectors)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => readSafetensors(file, { modelLayers: 2 })).toThrow(/3 rows look like hidden_states \(embeddings \+ 2 layers\)/);
    expect(Array.from(readSafetensors(file, { modelLayers: 2, convention: 'hidden-states' }).vectors)).toEqual([3, 4, 5, 6]);
    // A 2-D tensor under another name has no known producer: asked even without a model.
    expect(() => readSafetensors(foreign([['persona', 'F32', [3, 2], f32([1, 2, 3, 4, 5, 6])]]))).toThrow(ImportChoiceError);
  });

  it('refuses duplicate layers and unequal lengths', () => {
    expect(() => readSafetensors(foreign([['layers.1', 'F32', [2], f32([1, 2])], ['model.layers.1', 'F32', [2], f32([1, 2])]]))).toThrow(/two tensors name the same layer/);
    expect(() => readSafetensors(foreign([['layers.0', 'F32', [2], f32([1, 2])], ['layers.1', 'F32', [3], f32([1, 2, 3])]]))).toThrow(/same non-zero length/);
  });
});
