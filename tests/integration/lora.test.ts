/**
 * A LoRA adapter applied in the graph (onnx/lora.ts) against the float64 reference forward pass with the
 * adapter merged into the weights, on every fixture layout and dtype (wasm): per-row strengths in one
 * batch, strength 0 = the base graph, rows of one batch = separate runs, steering on top of an adapted
 * projection.
 */
import { describe, expect, it } from 'vitest';
import { VARIANTS, variantName, isHalf, fixtureModel } from '../helpers/fixtureModel';
import { maxRelErr, seededIds } from '../helpers/compare';
import { buildFixture } from '../fixtures/hubRepo';
import { fixtureConfig } from '../fixtures/weights';
import { referenceForward } from '../fixtures/reference';
import { adapterFiles, makeAdapter, mergeAdapter, type AdapterSpec } from '../fixtures/lora';
import type { FixtureConfig } from '../fixtures/spec';
import { instrument } from '../../src/engine/core/onnx/instrument';
import { readLoraAdapter } from '../../src/engine/core/onnx/loraAdapter';
import { createDecoder, type Decoder } from '../../src/engine/core/runtime/decoder';
import { resolveSpec, type SteeringSpec } from '../../src/engine/shared/steering';
import { byLayer } from '../../src/engine/core/runtime/steerFeeds';
import type { TapName } from '../../src/engine/shared/api';

const SPEC: AdapterSpec = { modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'down_proj'], rank: 4, alpha: 8, seed: 5 };
const PROMPTS = [seededIds(6, 11, 500), seededIds(6, 12, 500), seededIds(6, 13, 500)];

async function adapted(overrides: Partial<FixtureConfig>, spec = SPEC) {
  const cfg = fixtureConfig(overrides);
  const repo = buildFixture(cfg);
  const adapter = makeAdapter(cfg, spec);
  const inst = instrument(repo.files[repo.modelPath], { numLayers: cfg.numLayers, hiddenSize: cfg.hiddenSize, lora: readLoraAdapter(adapterFiles(adapter)) });
  const externalData = repo.dataPath ? [{ path: repo.dataPath.split('/').pop()!, data: repo.files[repo.dataPath] }] : [];
  const decoder = await createDecoder(inst, { device: 'wasm', externalData, vocabSize: cfg.vocabSize });
  return { cfg, weights: repo.weights, adapter, inst, decoder };
}

/** A prefill over `prompts` (equal lengths, no padding) then one decode step, with `strengths` per row. */
async function twoPasses(dec: Decoder, prompts: number[][], strengths: number[], taps: TapName[], specs: SteeringSpec[] = [], next = 42) {
  const d = dec.model.lora ? dec.withAdapterStrength(strengths) : dec;
  const steering = byLayer(prompts.map(() => specs.map((s) => resolveSpec(s, { numLayers: dec.model.numLayers, hiddenSize: dec.model.hiddenSize }))));
  const S = prompts[0].length;
  const mask = prompts.map((p) => p.map(() => 1));
  const base = { padLeft: prompts.map(() => 0), promptLength: S };
  const pre = await d.forward({ ids: prompts, mask, positions: prompts.map((p) => p.map((_, i) => i)), past: null, steering, pass: { phase: 'prefill', start: 0, length: S, ...base }, taps });
  const dec2 = await d.forward({ ids: prompts.map(() => [next]), mask: mask.map((m) => [...m, 1]), positions: prompts.map(() => [S]), past: pre.present, steering, pass: { phase: 'decode', start: S, length: 1, ...base }, taps });
  return { pre, dec: dec2 };
}

const rowOf = (t: Float32Array, r: number, B: number): Float32Array => t.subarray((r * t.length) / B, ((r + 1) * t.length) / B);

/** Builder exports that pack q/k/v into one projection: the adapter's three modules become one branch. */
const PACKED: Partial<FixtureConfig>[] = [
  { family: 'qwen2', layout: 'builder', attention: 'gqa', dtype: 'fp32', packedQkv: true },
  { family: 'llama', layout: 'builder', attention: 'mha', dtype: 'q4', packedQkv: true },
];

describe.each([...VARIANTS, ...PACKED].map((v) => [`${variantName(v)}${v.packedQkv ? '/packed-qkv' : ''}`, v] as const))('%s', (_name, variant) => {
  // fp32 bodies (fp32, q4: the branch stays float32 beside the 4-bit weight) match the merged float64
  // reference to 1e-5; float16 bodies round every activation (the same bound as plain instrumentation).
  const tol = isHalf(variant) ? 2e-2 : 1e-5;

  it('rows with strengths 0, 1 and 0.5 in one batch match the reference with the adapter merged at that strength', async () => {
    const m = await adapted(variant);
    const last = `blocks.${m.cfg.numLayers - 1}.hook_resid_post` as TapName;
    const mid = 'blocks.1.hook_resid_mid' as TapName;
    const strengths = [0, 1, 0.5];
    const { pre } = await twoPasses(m.decoder, PROMPTS, strengths, [mid, last]);
    const S = PROMPTS[0].length;
    const V = m.cfg.vocabSize;
    strengths.forEach((s, r) => {
      const w = mergeAdapter(m.cfg, m.weights, m.adapter, s);
      const ref = referenceForward(m.cfg, w, [PROMPTS[r]], [PROMPTS[r].map(() => 1)]);
      expect(maxRelErr(rowOf(pre.taps[last], r, 3), ref.taps[last]), `row ${r} ${last}`).toBeLessThan(tol);
      expect(maxRelErr(rowOf(pre.taps[mid], r, 3), ref.taps[mid]), `row ${r} ${mid}`).toBeLessThan(tol);
      expect(maxRelErr(pre.logits![r], ref.logits.subarray((S - 1) * V, S * V)), `row ${r} logits`).toBeLessThan(isHalf(variant) ? 3e-2 : 1e-5);
    });
    // The adapter is not a no-op on these weights: fine-tuned and base differ well beyond the tolerance.
    const base = referenceForward(m.cfg, m.weights, [PROMPTS[1]], [PROMPTS[1].map(() => 1)]);
    expect(maxRelErr(rowOf(pre.taps[last], 1, 3), base.taps[last])).toBeGreaterThan(20 * tol);
  });

  it('base and fine-tuned as rows of one batch equal separate runs, prefill and decode', async () => {
    const m = await adapted(variant);
    const taps = [`blocks.${m.cfg.numLayers - 1}.hook_resid_post` as TapName];
    const both = await twoPasses(m.decoder, [PROMPTS[0], PROMPTS[0]], [0, 1], taps);
    const base = await twoPasses(m.decoder, [PROMPTS[0]], [0], taps);
    const tuned = await twoPasses(m.decoder, [PROMPTS[0]], [1], taps);
    for (const pass of ['pre', 'dec'] as const) {
      for (const [r, alone] of [[0, base], [1, tuned]] as const) {
        expect(maxRelErr(both[pass].logits![r], alone[pass].logits![0]), `${pass} row ${r}`).toBeLessThan(1e-6);
        expect(maxRelErr(rowOf(both[pass].taps[taps[0]], r, 2), alone[pass].taps[taps[0]]), `${pass} row ${r} tap`).toBeLessThan(1e-6);
      }
    }
    expect(maxRelErr(both.dec.logits![0], both.dec.logits![1])).toBeGreaterThan(1e-3);
  });

  it('strength 0 is the un-adapted graph (bit for bit on float32 bodies)', async () => {
    const m = await adapted(variant);
    const plain = await fixtureModel(variant);
    const taps = [`blocks.${m.cfg.numLayers - 1}.hook_resid_post` as TapName];
    const a = await twoPasses(m.decoder, [PROMPTS[2]], [0], taps);
    const b = await twoPasses(plain.decoder, [PROMPTS[2]], [], taps);
    for (const pass of ['pre', 'dec'] as const) {
      if (isHalf(variant)) {
        // onnxruntime fuses float16 kernels differently around the added node: one float16 ulp moves.
        expect(maxRelErr(a[pass].logits![0], b[pass].logits![0])).toBeLessThan(1e-3);
        continue;
      }
      expect(Array.from(a[pass].logits![0])).toEqual(Array.from(b[pass].logits![0]));
      expect(Array.from(a[pass].taps[taps[0]])).toEqual(Array.from(b[pass].taps[taps[0]]));
    }
  });

  it('steering at a layer whose MLP output the adapter changes stacks on the adapted branch', async () => {
    const m = await adapted(variant);
    const L = 1;
    const v = Array.from({ length: m.cfg.hiddenSize }, (_, d) => Math.sin(d + 1) / 4);
    const last = `blocks.${m.cfg.numLayers - 1}.hook_resid_post` as TapName;
    const { pre } = await twoPasses(m.decoder, [PROMPTS[1]], [1], [last], [{ layer: L, vector: v, coeff: 2, positions: 'all' }]);
    const ref = referenceForward(m.cfg, mergeAdapter(m.cfg, m.weights, m.adapter, 1), [PROMPTS[1]], [PROMPTS[1].map(() => 1)], {
      intervene: (layer, _r, _p, h) => { if (layer === L) for (let d = 0; d < h.length; d++) h[d] += 2 * v[d]; },
    });
    expect(maxRelErr(pre.taps[last], ref.taps[last])).toBeLessThan(tol);
  });
});

// Only builder graphs that pack q/k/v into one projection have k columns to leave alone.
describe.each(PACKED.map((v) => [`${variantName(v)}/packed-qkv`, v] as const))('%s', (_name, variant) => {
  it('a packed qkv projection with only q and v adapted leaves the k columns alone', async () => {
    const spec: AdapterSpec = { modules: ['q_proj', 'v_proj'], rank: 3, alpha: 6, layers: [1, 3], seed: 8, bStd: 0.6 };
    const m = await adapted(variant, spec);
    expect(m.inst.lora!.targets.map((t) => /layers\.\d+\/attn\/\w+/.exec(t)![0])).toEqual(['layers.1/attn/qkv_proj', 'layers.3/attn/qkv_proj']);
    const last = `blocks.${m.cfg.numLayers - 1}.hook_resid_post` as TapName;
    const { pre } = await twoPasses(m.decoder, [PROMPTS[0], PROMPTS[1]], [1, 0.25], [last]);
    [1, 0.25].forEach((s, r) => {
      const ref = referenceForward(m.cfg, mergeAdapter(m.cfg, m.weights, m.adapter, s), [PROMPTS[r]], [PROMPTS[r].map(() => 1)]);
      expect(maxRelErr(rowOf(pre.taps[last], r, 2), ref.taps[last]), `row ${r}`).toBeLessThan(isHalf(variant) ? 2e-2 : 1e-5);
    });
  });
});
