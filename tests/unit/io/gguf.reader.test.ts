/**
 * Our GGUF control-vector writer read back by an independent parser, @huggingface/gguf (the Hugging Face hub's
 * own GGUF reader): header, metadata types and values, tensor infos, data offset and the F32 payloads.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gguf, GGUFValueType, GGMLQuantizationType } from '@huggingface/gguf';
import { GGUF_META_KEY, writeControlVectorGguf } from '../../../src/engine/clients/io/gguf';
import { LAYER_CONVENTION, type VectorSet } from '../../../src/engine/clients/vectors/meta';
import { bits, trickySet } from './sets';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'gguf-reader-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

async function parse(bytes: Uint8Array, name: string) {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return gguf(path, { allowLocalFile: true, typedMetadata: true });
}

describe('GGUF writer read by @huggingface/gguf', () => {
  it('header, typed metadata and tensor infos are what llama.cpp expects', async () => {
    const set = trickySet(5, 5); // 20 bytes per tensor: padding between tensors
    const { bytes } = writeControlVectorGguf(set);
    const out = await parse(bytes, 'a.gguf');
    const m = out.typedMetadata;
    expect(out.littleEndian).toBe(true);
    expect(m.version).toEqual({ value: 3, type: GGUFValueType.UINT32 });
    expect(m.tensor_count.value).toBe(4n);
    expect(m.kv_count.value).toBe(6n);
    expect(m['general.architecture']).toEqual({ value: 'controlvector', type: GGUFValueType.STRING });
    expect(m['general.alignment']).toEqual({ value: 32, type: GGUFValueType.UINT32 });
    expect(m['controlvector.model_hint']).toEqual({ value: 'qwen2', type: GGUFValueType.STRING });
    expect(m['controlvector.layer_count']).toEqual({ value: 4, type: GGUFValueType.INT32 });
    expect(m['steering_lab.layer_convention'].value).toBe(`${LAYER_CONVENTION}; direction.N = layer N`);
    const ours = JSON.parse(m[GGUF_META_KEY].value as string);
    expect(ours).toMatchObject({ modelId: set.meta.modelId, hiddenSize: 5, numLayers: 5, layers: [1, 2, 3, 4], trait: 'evil' });

    expect(out.tensorInfos.map((t) => t.name)).toEqual(['direction.1', 'direction.2', 'direction.3', 'direction.4']);
    for (const [i, t] of out.tensorInfos.entries()) {
      expect(t.n_dims).toBe(1);
      expect(t.shape).toEqual([5n]);
      expect(t.dtype).toBe(GGMLQuantizationType.F32);
      expect(t.offset).toBe(BigInt(i * 32)); // 20 bytes padded to the 32-byte alignment
    }
    expect(Number(out.tensorDataOffset) % 32).toBe(0);
    expect(bytes.length).toBe(Number(out.tensorDataOffset) + 4 * 32);
  });

  it('F32 payloads at the offsets the reader gives are the vectors, bit for bit', async () => {
    const set = trickySet(4, 9); // 36 bytes per tensor: padded to 64
    const { bytes } = writeControlVectorGguf(set);
    const out = await parse(bytes, 'b.gguf');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (const t of out.tensorInfos) {
      const layer = Number(/^direction\.(\d+)$/.exec(t.name)![1]);
      const start = Number(out.tensorDataOffset + t.offset);
      const got = Float32Array.from({ length: 9 }, (_, j) => view.getFloat32(start + 4 * j, true));
      expect(bits(got)).toEqual(bits(set.vectors.subarray(layer * 9, (layer + 1) * 9)));
    }
    expect(out.tensorInfos.map((t) => t.offset)).toEqual([0n, 64n, 128n]);
  });

  it('writes only the layers the set lists, and no model hint when the model type is unknown (never an id or a path)', async () => {
    const base = trickySet(6, 8);
    const set: VectorSet = { vectors: base.vectors, meta: { ...base.meta, architecture: undefined, layers: [2, 5] } };
    const out = await parse(writeControlVectorGguf(set).bytes, 'c.gguf');
    expect(out.typedMetadata['controlvector.model_hint'].value).toBe('');
    expect(out.typedMetadata['controlvector.layer_count'].value).toBe(2);
    expect(out.tensorInfos.map((t) => [t.name, t.offset])).toEqual([['direction.2', 0n], ['direction.5', 32n]]);
  });
});
