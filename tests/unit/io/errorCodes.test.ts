/**
 * Every refusal of the io layer crosses the worker and CLI boundaries as an EngineError whose code the UI and
 * CLI act on: malformed or mismatched files are 'bad-input', never 'internal' or a bare Error.
 */
import { describe, expect, it } from 'vitest';
import { EngineError } from '../../../src/engine/shared/errors';
import { base64ToBytes } from '../../../src/engine/clients/io/base64';
import { readControlVectorGguf, readGguf, writeControlVectorGguf } from '../../../src/engine/clients/io/gguf';
import { checkVectorFitsModel, detectVectorFormat, importVectorFile } from '../../../src/engine/clients/io/import';
import { readSafetensors, readSafetensorsHeader, writeSafetensors } from '../../../src/engine/clients/io/safetensors';
import { decodeShareLink, encodeShareLink } from '../../../src/engine/clients/io/shareLink';
import { importVectorJson, toVectorJson } from '../../../src/engine/clients/io/vectorJson';
import { trickySet } from './sets';

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return e instanceof EngineError ? e.code : `not an EngineError: ${String(e)}`;
  }
  return 'no error';
}

describe('io refusals are bad-input EngineErrors', () => {
  const set = trickySet(3, 2);
  const model = { id: set.meta.modelId, architecture: 'qwen2', numLayers: 3, hiddenSize: 2 };
  const gguf = writeControlVectorGguf(set).bytes;
  const cases: Record<string, () => unknown> = {
    'base64': () => base64ToBytes('abc'),
    'format': () => detectVectorFormat(new Uint8Array([1])),
    'hidden size': () => checkVectorFitsModel(set, { ...model, hiddenSize: 3 }),
    'layer count': () => checkVectorFitsModel(set, { ...model, numLayers: 4 }),
    'other model': () => checkVectorFitsModel(set, { ...model, id: 'x/y' }),
    'model hint': () => checkVectorFitsModel({ ...set, meta: { ...set.meta, modelId: '', architecture: 'llama' } }, model),
    'json utf-8': () => importVectorFile(new Uint8Array([0x7b, 0xff])),
    'json': () => importVectorJson('{'),
    'json shape': () => importVectorJson({ ...toVectorJson(set), shape: [1, 1] }),
    'json export': () => toVectorJson({ ...set, vectors: new Float32Array(1) }),
    'gguf magic': () => readGguf(new Uint8Array(8)),
    'gguf truncated': () => readGguf(gguf.subarray(0, 20)),
    'gguf export': () => writeControlVectorGguf({ ...set, meta: { ...set.meta, layers: [0] } }),
    'gguf export shape': () => writeControlVectorGguf({ ...set, vectors: new Float32Array(1) }),
    'safetensors short': () => readSafetensorsHeader(new Uint8Array(2)),
    'safetensors export': () => writeSafetensors({ ...set, vectors: new Float32Array(1) }),
    'safetensors foreign': () => readSafetensors(writeSafetensors(set).subarray(0, 30)),
    'share encode': () => encodeShareLink({ modelId: '', dtype: 'q4', vector: new Float32Array(1), traitName: '', layer: 0, coeff: 0, mode: 'all', prompt: '', systemPrompt: '', seed: 0, temperature: 0, maxTokens: 1 }),
    'share decode': () => decodeShareLink('#s=A'),
  };
  for (const [name, f] of Object.entries(cases)) {
    it(name, () => expect(codeOf(f)).toBe('bad-input'));
  }

  it('a GGUF whose direction lies beyond the layers its metadata declares', () => {
    const good = writeControlVectorGguf({ ...set, meta: { ...set.meta, layers: [2] } }).bytes;
    // The writer cannot make such a file, so patch its metadata JSON in place (same length keeps every offset).
    const text = new TextDecoder('latin1').decode(good);
    const at = text.indexOf('"numLayers":3');
    expect(at).toBeGreaterThan(0);
    const patched = good.slice();
    patched.set(new TextEncoder().encode('"numLayers":2'), at);
    patched.set(new TextEncoder().encode('"layers":[1]'), text.indexOf('"layers":[2]'));
    expect(() => readControlVectorGguf(patched)).toThrow('GGUF: direction.2 is beyond the 2 layers the metadata declares.');
    expect(codeOf(() => readControlVectorGguf(patched))).toBe('bad-input');
    // And one whose metadata names another hidden size.
    const h = good.slice();
    h.set(new TextEncoder().encode('"hiddenSize":3'), text.indexOf('"hiddenSize":2'));
    expect(() => readControlVectorGguf(h)).toThrow('GGUF: direction tensors have 2 values but the metadata says hidden size 3.');
  });
});
