/**
 * Reading PEFT LoRA adapters: PEFT's key layout, dtype conversion, rank / alpha / rslora, and a clear
 * refusal for every adapter the graph edit could not apply exactly. Files are built in code
 * (tests/fixtures/lora.ts); expected values are the fixture's own matrices or hand-computed scales.
 */
import { describe, expect, it } from 'vitest';
import { baseModelNote, readLoraAdapter } from '../../../src/engine/core/onnx/loraAdapter';
import { adapterFiles, encodeFloats, loraKey, makeAdapter, safetensorsOf } from '../../fixtures/lora';
import { fixtureConfig } from '../../fixtures/weights';

const CFG = fixtureConfig({ numLayers: 2, hiddenSize: 32, numHeads: 2, numKvHeads: 1, intermediateSize: 48 });
const AD = makeAdapter(CFG, { modules: ['v_proj', 'q_proj', 'down_proj'], rank: 4, alpha: 16, seed: 3 });

const config = (extra: Record<string, unknown> = {}) => JSON.stringify({ peft_type: 'LORA', r: 4, lora_alpha: 16, target_modules: ['q_proj', 'v_proj'], ...extra });
const f32 = (n: number) => Float32Array.from({ length: n }, (_, i) => (i % 7) - 3);
const pair = (layer: number, module: 'q_proj' | 'v_proj', rA: number, rB: number, dtype = 'F32') => [
  { name: loraKey(layer, module, 'A'), dtype, shape: [rA, 32], bytes: encodeFloats(f32(rA * 32), 'F32') },
  { name: loraKey(layer, module, 'B'), dtype, shape: [16, rB], bytes: encodeFloats(f32(16 * rB), 'F32') },
];
const read = (weights: Uint8Array, cfg = config()) => () => readLoraAdapter({ config: cfg, weights });

describe('readLoraAdapter', () => {
  it('reads every pair with its shapes and values, sorted by layer then module, scale alpha/r', () => {
    const a = readLoraAdapter(adapterFiles(AD));
    expect(a).toMatchObject({ name: 'fixture-adapter', baseModel: 'fixture/tiny-decoder', rank: 4, alpha: 16, rslora: false, scale: 4, modules: ['q_proj', 'v_proj', 'down_proj'] });
    expect(a.weights.map((w) => `${w.layer}.${w.module}`)).toEqual(['0.q_proj', '0.v_proj', '0.down_proj', '1.q_proj', '1.v_proj', '1.down_proj']);
    for (const w of a.weights) {
      const p = AD.pairs.get(`${w.layer}.${w.module}`)!;
      expect([w.rank, w.inFeatures, w.outFeatures]).toEqual([4, p.in, p.out]);
      expect(Array.from(w.a)).toEqual(Array.from(p.a));
      expect(Array.from(w.b)).toEqual(Array.from(p.b));
    }
    expect(a.weights.find((w) => w.module === 'down_proj')!.inFeatures).toBe(48);
  });

  it('rslora scales by alpha/√r; a missing lora_alpha is PEFT\'s default 8', () => {
    expect(readLoraAdapter(adapterFiles(AD, { config: { use_rslora: true } })).scale).toBe(8);
    expect(readLoraAdapter(adapterFiles(AD, { config: { lora_alpha: undefined } })).scale).toBe(2);
  });

  it('converts F16 and BF16 to float32 (values rounded the way the file holds them)', () => {
    const half = readLoraAdapter(adapterFiles(AD, { dtype: 'F16' }));
    const brain = readLoraAdapter(adapterFiles(AD, { dtype: 'BF16' }));
    const p = AD.pairs.get('1.q_proj')!;
    const w16 = half.weights.find((w) => w.layer === 1 && w.module === 'q_proj')!;
    const wbf = brain.weights.find((w) => w.layer === 1 && w.module === 'q_proj')!;
    p.a.forEach((x, i) => {
      expect(Math.abs(w16.a[i] - x)).toBeLessThanOrEqual(Math.abs(x) * 2 ** -11 + 2 ** -24);
      expect(Math.abs(wbf.a[i] - x)).toBeLessThan(Math.abs(x) * 2 ** -7);
    });
    // Values exactly representable in all three dtypes come back exactly.
    const exact = readLoraAdapter({ config: config(), weights: safetensorsOf(['A', 'B'].map((which) => ({
      name: loraKey(0, 'q_proj', which as 'A' | 'B'), dtype: 'BF16', shape: which === 'A' ? [4, 32] : [16, 4], bytes: encodeFloats(f32(128 / (which === 'A' ? 1 : 2)), 'BF16'),
    }))) });
    expect(Array.from(exact.weights[0].a)).toEqual(Array.from(f32(128)));
  });

  it('accepts keys with the adapter name PEFT once kept (.default) and without the base_model prefix', () => {
    const t = pair(0, 'q_proj', 4, 4).map((x) => ({ ...x, name: x.name.replace('base_model.model.', '').replace('.weight', '.default.weight') }));
    expect(readLoraAdapter({ config: config(), weights: safetensorsOf(t) }).weights[0]).toMatchObject({ layer: 0, module: 'q_proj', rank: 4 });
  });

  it('refuses a rank mismatch between A and B, or with the config', () => {
    expect(read(safetensorsOf(pair(0, 'q_proj', 4, 2)))).toThrow('LoRA adapter: layers.0.q_proj: rank mismatch, lora_A is [4,32] (rank 4) but lora_B is [16,2] (rank 2).');
    expect(read(safetensorsOf(pair(0, 'q_proj', 2, 2)))).toThrow('LoRA adapter: layers.0.q_proj has rank 2 but adapter_config.json says r = 4.');
  });

  it('refuses a half pair, a module outside target_modules, and modules it cannot apply', () => {
    expect(read(safetensorsOf(pair(0, 'q_proj', 4, 4).slice(0, 1)))).toThrow('LoRA adapter: layers.0.q_proj has lora_A but no lora_B.');
    expect(read(safetensorsOf(pair(1, 'v_proj', 4, 4)), config({ target_modules: ['q_proj'] }))).toThrow('LoRA adapter: layers.1.v_proj has weights but target_modules (q_proj) does not list v_proj.');
    const dense = pair(0, 'q_proj', 4, 4).map((x) => ({ ...x, name: x.name.replace('q_proj', 'dense') }));
    expect(read(safetensorsOf(dense), config({ target_modules: ['dense'] }))).toThrow('LoRA adapter: layers.0.dense: "dense" is not a projection LoRA can be applied to here');
    const embed = [{ name: 'base_model.model.model.embed_tokens.lora_embedding_A', dtype: 'F32', shape: [4, 8], bytes: new Uint8Array(128) }];
    expect(read(safetensorsOf(embed))).toThrow('LoRA adapter: tensor "base_model.model.model.embed_tokens.lora_embedding_A" is not a lora_A/lora_B weight of a decoder layer\'s projection');
  });

  it('refuses integer tensors, and converts nothing it cannot read', () => {
    const ints = pair(0, 'q_proj', 4, 4).map((x, i) => (i === 1 ? { ...x, dtype: 'I32' } : x));
    expect(read(safetensorsOf(ints))).toThrow(`LoRA adapter: tensor "${loraKey(0, 'q_proj', 'B')}" has dtype I32; LoRA weights must be floating point (F32, F16, BF16 or F64).`);
    expect(read(safetensorsOf([]))).toThrow('LoRA adapter: adapter_model.safetensors holds no LoRA weights.');
  });

  it('refuses configs it cannot apply exactly, saying why', () => {
    const w = safetensorsOf(pair(0, 'q_proj', 4, 4));
    expect(read(w, '{r: 4')).toThrow(/^LoRA adapter: adapter_config.json is not valid JSON/);
    expect(read(w, config({ peft_type: 'IA3' }))).toThrow('LoRA adapter: peft_type is "IA3"; only LORA adapters can be applied.');
    expect(read(w, config({ use_dora: true }))).toThrow(/use_dora is true/);
    expect(read(w, config({ fan_in_fan_out: true }))).toThrow(/fan_in_fan_out is true/);
    expect(read(w, config({ rank_pattern: { q_proj: 8 } }))).toThrow('LoRA adapter: rank_pattern sets per-module values (q_proj); only one rank and alpha for every module is supported.');
    expect(read(w, config({ modules_to_save: ['lm_head'] }))).toThrow(/modules_to_save lists lm_head/);
    expect(read(w, config({ r: 0 }))).toThrow('LoRA adapter: "r" is 0; adapter_config.json needs the rank as a positive integer.');
    expect(read(w, config({ lora_alpha: 'x' }))).toThrow('LoRA adapter: "lora_alpha" is "x"; it must be a number.');
  });
});

describe('baseModelNote', () => {
  it('is silent when the names agree up to organisation and re-upload suffixes', () => {
    expect(baseModelNote('meta-llama/Llama-3.2-1B-Instruct', 'onnx-community/Llama-3.2-1B-Instruct-q4f16')).toBeNull();
    expect(baseModelNote('Qwen/Qwen2.5-0.5B-Instruct', 'onnx-community/Qwen2.5-0.5B-Instruct-ONNX')).toBeNull();
    expect(baseModelNote('Qwen/Qwen3-0.6B', '/models/qwen3-0.6b-onnx/')).toBeNull();
  });

  it('names both models when they differ, and says when the adapter does not tell', () => {
    expect(baseModelNote('meta-llama/Llama-3.2-1B', 'onnx-community/Llama-3.2-1B-Instruct')).toBe(
      'The adapter was trained for meta-llama/Llama-3.2-1B; the loaded model is onnx-community/Llama-3.2-1B-Instruct. Their shapes match, but a different checkpoint of the same architecture (base vs instruct, another fine-tune) gives different results.',
    );
    expect(baseModelNote(undefined, 'x')).toMatch(/^The adapter does not say which base model it was trained for/);
  });
});
