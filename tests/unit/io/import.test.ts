import { describe, expect, it } from 'vitest';
import { writeControlVectorGguf } from '../../../src/engine/clients/io/gguf';
import { checkVectorFitsModel, detectVectorFormat, importVectorFile } from '../../../src/engine/clients/io/import';
import { writeSafetensors } from '../../../src/engine/clients/io/safetensors';
import { exportVectorJson } from '../../../src/engine/clients/io/vectorJson';
import { bits, trickySet } from './sets';

const qwen = { id: 'onnx-community/Qwen2.5-0.5B-Instruct', architecture: 'qwen2', numLayers: 3, hiddenSize: 5 };

describe('vector import', () => {
  const set = trickySet(3, 5);
  const files = {
    json: new TextEncoder().encode(exportVectorJson(set)),
    safetensors: writeSafetensors(set),
    gguf: writeControlVectorGguf(set).bytes,
  };

  it('detects each format and imports it for a matching model', () => {
    for (const [format, bytes] of Object.entries(files)) {
      expect(detectVectorFormat(bytes)).toBe(format);
      const r = importVectorFile(bytes, qwen);
      expect(r.format).toBe(format);
      expect(bits(r.set.vectors.subarray(5))).toEqual(bits(set.vectors.subarray(5)));
    }
    expect(detectVectorFormat(new TextEncoder().encode('\uFEFF  {"a":1}'))).toBe('json');
    expect(() => detectVectorFormat(new Uint8Array([1, 2, 3]))).toThrow(/Unrecognised vector file/);
  });

  it('refuses a vector with the wrong hidden size, saying what was expected, found and what to do', () => {
    for (const bytes of Object.values(files)) {
      expect(() => importVectorFile(bytes, { ...qwen, hiddenSize: 896 })).toThrow(
        /has hidden size 5, but the loaded model "onnx-community\/Qwen2.5-0.5B-Instruct" has hidden size 896\. .*load that model, or extract a new vector/,
      );
    }
  });

  it('refuses a vector for a different layer count', () => {
    expect(() => importVectorFile(files.json, { ...qwen, numLayers: 24 })).toThrow(/one vector for each of 3 layers, but the loaded model .* has 24 layers/);
    expect(() => importVectorFile(files.gguf, { ...qwen, numLayers: 2 })).toThrow(/uses layers up to 2, but .* has 2 layers \(0\.\.1\)/);
  });

  it('refuses a vector made for another model unless the caller opts in', () => {
    const other = { ...qwen, id: 'onnx-community/Qwen2.5-0.5B' };
    expect(() => importVectorFile(files.safetensors, other)).toThrow(/made for "onnx-community\/Qwen2.5-0.5B-Instruct", but the loaded model "onnx-community\/Qwen2.5-0.5B" is different/);
    expect(importVectorFile(files.safetensors, other, { allowOtherModel: true }).set.meta.modelId).toBe(qwen.id);
  });

  it('checks a foreign GGUF model hint against the architecture', () => {
    const foreign = { ...set, meta: { ...set.meta, modelId: '', architecture: 'llama', method: 'imported' as const, layers: [1, 2] } };
    expect(() => checkVectorFitsModel(foreign, qwen)).toThrow(/model hint is "llama", but the loaded model .* is a "qwen2" model/);
    expect(() => checkVectorFitsModel(foreign, { ...qwen, architecture: 'LlamaForCausalLM' })).not.toThrow();
  });

  it('turns parse failures into bad-input errors', () => {
    expect(() => importVectorFile(new Uint8Array([0x7b, 0xff, 0xfe]))).toThrow(/not valid UTF-8/);
    let caught: unknown;
    try {
      importVectorFile(new TextEncoder().encode('{"format":"nope"}'));
    } catch (e) {
      caught = e;
    }
    expect(caught).toMatchObject({ code: 'bad-input', message: expect.stringMatching(/"format" must be/) });
  });
});
