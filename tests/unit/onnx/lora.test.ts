/**
 * The LoRA graph edit's checks against the model and its bytes: adapters for another model or for
 * projections the graph lacks are refused with what was found, and the adapter's weights never go into
 * the graph fragment (a model in a modelBuffer is still instrumented where it lies, even for an adapter
 * far larger than the room after it). That the branches compute the merged model is
 * tests/integration/lora.test.ts's job.
 */
import { describe, expect, it } from 'vitest';
import { fixtureConfig } from '../../fixtures/weights';
import { buildFixture } from '../../fixtures/hubRepo';
import { adapterFiles, makeAdapter } from '../../fixtures/lora';
import type { FixtureConfig } from '../../fixtures/spec';
import { instrument } from '../../../src/engine/core/onnx/instrument';
import { addLoraBranches } from '../../../src/engine/core/onnx/lora';
import { Fragment, Rewirer } from '../../../src/engine/core/onnx/fragment';
import { MODEL_SLACK, modelBuffer, readModel } from '../../../src/engine/core/onnx/model';
import { readLoraAdapter } from '../../../src/engine/core/onnx/loraAdapter';

function fixture(overrides: Partial<FixtureConfig>) {
  const cfg = fixtureConfig(overrides);
  const repo = buildFixture(cfg);
  return { cfg, model: repo.files[repo.modelPath] };
}

const branches = (model: Uint8Array, cfg: FixtureConfig, adapter: ReturnType<typeof readLoraAdapter>, drop?: RegExp) => () => {
  const view = readModel(model);
  if (drop) view.nodes = view.nodes.filter((n) => !drop.test(n.name));
  const f = new Fragment('/t/');
  return addLoraBranches(view, f, new Rewirer(view, f), adapter, { numLayers: cfg.numLayers, half: false });
};

describe('LoRA graph edit: refusals', () => {
  it('a projection the graph lacks is named with what the layer has', () => {
    const { cfg, model } = fixture({ layout: 'decomposed', dtype: 'fp32' });
    const adapter = readLoraAdapter(adapterFiles(makeAdapter(cfg, { modules: ['up_proj'], rank: 2, alpha: 2, layers: [2] })));
    expect(branches(model, cfg, adapter, /layers\.2\/mlp\/up_proj/)).toThrow(
      'LoRA adapter (trained for fixture/tiny-decoder): it targets up_proj in layer 2, but the graph has no such projection there (found: q_proj, k_proj, v_proj, o_proj, gate_proj, down_proj).',
    );
  });

  it('q/k/v sizes that do not fill a packed qkv projection', () => {
    const { cfg, model } = fixture({ layout: 'builder', attention: 'gqa', dtype: 'q4', packedQkv: true });
    // Made for 4 KV heads where the model has 2: q (64) + 2·64 is not the packed 128 outputs.
    const adapter = readLoraAdapter(adapterFiles(makeAdapter({ ...cfg, numKvHeads: 4 }, { modules: ['q_proj', 'k_proj'], rank: 2, alpha: 2, layers: [0] })));
    expect(branches(model, cfg, adapter)).toThrow("LoRA adapter: layers.0.qkv_proj: the adapter's q/k/v sizes do not add up to the packed qkv projection's 128 outputs.");
  });

  it('an intermediate size of another model is caught on the MLP projections', () => {
    const { cfg, model } = fixture({ layout: 'builder', attention: 'mha', dtype: 'q4' });
    const adapter = readLoraAdapter(adapterFiles(makeAdapter({ ...cfg, intermediateSize: 96 }, { modules: ['down_proj'], rank: 2, alpha: 2, layers: [1] })));
    expect(branches(model, cfg, adapter)).toThrow("LoRA adapter: layers.1.down_proj maps 96 → 64 features but the model's down_proj maps 128 → 64; it was trained for fixture/tiny-decoder, is that the model loaded?");
  });
});

describe('LoRA graph edit: bytes', () => {
  it('keeps the weights out of the graph: a modelBuffer is still edited in place for an adapter larger than its room', () => {
    const { cfg, model } = fixture({ layout: 'decomposed', dtype: 'q4' });
    // Rank 512 on every projection of every layer: ~3 MB of float32, three times MODEL_SLACK.
    const adapter = readLoraAdapter(adapterFiles(makeAdapter(cfg, { modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'], rank: 512, alpha: 16 })));
    const bytes = modelBuffer(model.length);
    bytes.set(model);
    const inst = instrument(bytes, { numLayers: cfg.numLayers, hiddenSize: cfg.hiddenSize, inPlace: true, lora: adapter });
    expect(inst.lora!.externalData.data.length).toBeGreaterThan(MODEL_SLACK * 3);
    expect(inst.bytes.buffer).toBe(bytes.buffer);
    expect(inst.bytes.length - model.length).toBeLessThan(MODEL_SLACK);
    // Every branch initializer names the external file, at offsets that tile it exactly.
    const view = readModel(inst.bytes);
    const lora = [...view.initializers.values()].filter((i) => i.name.startsWith('lora.'));
    expect(lora).toHaveLength(2 * 7 * cfg.numLayers);
    expect(lora.every((i) => i.external?.location === inst.lora!.externalData.path)).toBe(true);
    const total = lora.reduce((n, i) => n + i.external!.length, 0);
    expect(total).toBe(inst.lora!.externalData.data.length);
    expect(lora.every((i) => i.external!.length === 4 * i.dims.reduce((a, b) => a * b, 1))).toBe(true);
  });
});
