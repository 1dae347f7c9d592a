import { describe, expect, it } from 'vitest';
import { exportVectorJson, importVectorJson, toVectorJson } from '../../../src/engine/clients/io/vectorJson';
import { LAYER_CONVENTION } from '../../../src/engine/clients/vectors/meta';
import { bits, trickySet } from './sets';



describe('vector JSON', () => {
  it('round-trips bit-exactly with full metadata', () => {
    const set = trickySet();
    const back = importVectorJson(exportVectorJson(set));
    expect(bits(back.vectors)).toEqual(bits(set.vectors));
    expect(back.meta).toEqual(set.meta);
  });
  it('stores data as base64 little-endian float32, not a number array', () => {
    const j = toVectorJson(trickySet());
    expect(typeof j.data).toBe('string');
    expect(j).toMatchObject({ format: 'steering-lab.vectors', version: 1, dtype: 'float32', byteOrder: 'little', shape: [3, 5] });
    expect(j.meta.layerConvention).toBe(LAYER_CONVENTION);
  });
  it('refuses malformed files with clear messages', () => {
    const j = toVectorJson(trickySet());
    expect(() => importVectorJson('{')).toThrow(/Vector JSON: not valid JSON/);
    expect(() => importVectorJson({ ...j, format: 'x' })).toThrow(/"format" must be "steering-lab.vectors"/);
    expect(() => importVectorJson({ ...j, shape: [3, 4] })).toThrow(/shape \[3,4\] does not match metadata \[3, 5\]/);
    expect(() => importVectorJson({ ...j, data: j.data.slice(0, -8) })).toThrow(/holds \d+ bytes/);
    expect(() => importVectorJson({ ...j, meta: { ...j.meta, hiddenSize: 'five' } })).toThrow(/metadata.hiddenSize/);
  });
  it('refuses NaN and Infinity on export and on import', () => {
    const set = trickySet();
    set.vectors[4] = NaN;
    expect(() => exportVectorJson(set)).toThrow(/NaN or Infinity/);
    const ok = toVectorJson(trickySet());
    const raw = Buffer.from(ok.data, 'base64');
    raw.writeFloatLE(Infinity, 8);
    expect(() => importVectorJson({ ...ok, data: raw.toString('base64') })).toThrow(/value 2 is Infinity/);
  });
});
