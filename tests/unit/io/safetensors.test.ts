import { describe, expect, it } from 'vitest';
import { SAFETENSORS_META_KEY, readSafetensors, readSafetensorsHeader, writeSafetensors } from '../../../src/engine/io/safetensors';
import { LAYER_CONVENTION } from '../../../src/engine/vectors/meta';
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
    const f16 = handMade({ vectors: { dtype: 'F16', shape: [1, 2], data_offsets: [0, 4] } }, new Uint8Array(4));
    expect(() => readSafetensors(f16)).toThrow(/dtype F16; only F32/);
    const hole = handMade({ vectors: { dtype: 'F32', shape: [1, 1], data_offsets: [4, 8] } }, new Uint8Array(8));
    expect(() => readSafetensorsHeader(hole)).toThrow(/holes and overlaps/);
    const wrongSize = handMade({ vectors: { dtype: 'F32', shape: [1, 3], data_offsets: [0, 8] } }, new Uint8Array(8));
    expect(() => readSafetensors(wrongSize)).toThrow(/needs 12/);
    const other = handMade({ weight: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4));
    expect(() => readSafetensors(other)).toThrow(/expected a tensor "vectors"/);
  });

  it('refuses NaN values', () => {
    const data = new Uint8Array(8);
    new DataView(data.buffer).setFloat32(4, NaN, true);
    expect(() => readSafetensors(handMade({ vectors: { dtype: 'F32', shape: [1, 2], data_offsets: [0, 8] } }, data))).toThrow(/NaN/);
  });
});
