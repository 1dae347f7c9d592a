/**
 * Device parity: the same engine requests on WebGPU (SwiftShader) and on wasm, in real headless Chromium,
 * on every fixture layout WebGPU runs (decomposed, builder MHA, builder GQA) and dtype (fp32, q4; f16 only
 * where the adapter has shader-f16). Batches hold rows of different lengths (padding, and prompts longer
 * than one WebGPU prefill pass), every tap is captured, add and ablate steer in every position mode at
 * several layers, caps clamp (alone and composed with add and ablate), a monitor projects, and a prompt-only request collects. Both devices are also checked
 * against the float64 reference forward pass, position by position, row by row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixture } from '../fixtures/hubRepo';
import { effectiveWeights } from '../fixtures/reference';
import { fixtureConfig } from '../fixtures/weights';
import type { FixtureDtype } from '../fixtures/spec';
import { browserReady } from './harness';
import { gpuFeatures, runRequests, startEnginePages, type EnginePages } from './enginePage';
import type { JsonRequest } from './engine-page/main';
import { adapterFiles, makeAdapter, mergeAdapter } from '../fixtures/lora';
import { LONG, measureParity, PARITY_REPOS as REPOS, parityRequests as requests, wave } from './parityCases';

describe.skipIf(!browserReady(false))('device parity in headless Chromium: WebGPU vs wasm vs the float64 reference', () => {
  let pages: EnginePages;
  beforeAll(async () => {
    pages = await startEnginePages(REPOS);
  });
  afterAll(async () => { await pages?.close(); });

  const cases = Object.keys(REPOS).flatMap((id) => (['fp32', 'q4'] as FixtureDtype[]).map((dtype) => [id, dtype] as const));
  it.each(cases)('%s %s: same tokens, captures and projections on both devices, both equal to the reference', async (id, dtype) => {
    const cfg = fixtureConfig({ ...REPOS[id], dtype });
    const weights = effectiveWeights(cfg, buildFixture(fixtureConfig(REPOS[id])).rawWeights);
    const reqs = requests(cfg.hiddenSize, cfg.numLayers);
    const [gpu, cpu] = [await pages.page(true), await pages.page(false)];
    const g = await runRequests(gpu, id, dtype, 'webgpu', reqs);
    const w = await runRequests(cpu, id, dtype, 'wasm', reqs);
    for (const [name, out] of [['webgpu', g], ['wasm', w]] as const) {
      if ('error' in out) throw new Error(`${name}: ${out.error.code}: ${out.error.message}`);
      expect(out.info.device).toBe(name);
    }
    if ('error' in g || 'error' in w) return;
    const figures: string[] = [];
    reqs.forEach((req, q) => {
      const a = g.results[q], b = w.results[q];
      if ('error' in a) throw new Error(`webgpu request ${q}: ${a.error.message}`);
      if ('error' in b) throw new Error(`wasm request ${q}: ${b.error.message}`);
      // Greedy tokens: identical (a float difference that flips a token would be a parity bug too).
      expect(a.tokens, `request ${q} tokens`).toEqual(b.tokens);
      const m = measureParity(cfg, weights, req, a, b);
      if (req.monitor) expect(m.worstProjection, `request ${q} projections`).toBeLessThan(1e-3);
      figures.push(`request ${q}: webgpu~wasm ${m.worstDev.toExponential(1)}, vs reference ${m.worstRef.toExponential(1)}`);
      // fp32 and q4 alike: both devices dequantize the same 4-bit weights, so only summation order differs
      // (measured ≤ 1e-5); 1e-3 is the bar. The reference uses the same effective weights.
      expect(m.worstDev, `request ${q}: WebGPU vs wasm captures`).toBeLessThan(1e-3);
      expect(m.worstRef, `request ${q}: captures vs float64 reference`).toBeLessThan(1e-3);
    });
    console.log(`${id} ${dtype}: ${figures.join('; ')}`);
  });

  // A LoRA adapter on q/k/v/o and down_proj: base (0), fine-tuned (1), a blend and fine-tuned + steering as
  // rows of one batch, generated on both devices and checked against the reference with the adapter merged.
  it.each(cases)('%s %s with a LoRA adapter: per-row strengths give the same tokens and captures on both devices, equal to the merged reference', async (id, dtype) => {
    const cfg = fixtureConfig({ ...REPOS[id], dtype });
    const weights = effectiveWeights(cfg, buildFixture(fixtureConfig(REPOS[id])).rawWeights);
    const adapter = makeAdapter(cfg, { modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'down_proj'], rank: 4, alpha: 8, seed: 21 });
    const files = adapterFiles(adapter);
    const json = { config: files.config, weights: Array.from(files.weights) };
    const L = cfg.numLayers;
    const v = wave(cfg.hiddenSize, 4);
    const strengths = [0, 1, 0.5, 1];
    const req: JsonRequest = {
      rows: strengths.map((adapterStrength, r) => ({
        prompt: r === 2 ? LONG : 'Tell me about the sea', adapterStrength,
        ...(r === 3 ? { steering: [{ layer: L - 2, vector: v, coeff: 2, positions: 'all' as const }] } : {}),
      })),
      maxNewTokens: 8, stopAtEos: false, captures: [`blocks.${L - 1}.hook_resid_post`, 'blocks.1.hook_resid_mid'],
    };
    const g = await runRequests(await pages.page(true), id, dtype, 'webgpu', [req], json);
    const w = await runRequests(await pages.page(false), id, dtype, 'wasm', [req], json);
    if ('error' in g) throw new Error(`webgpu: ${g.error.message}`);
    if ('error' in w) throw new Error(`wasm: ${w.error.message}`);
    const [a, b] = [g.results[0], w.results[0]];
    if ('error' in a) throw new Error(`webgpu request: ${a.error.message}`);
    if ('error' in b) throw new Error(`wasm request: ${b.error.message}`);
    expect(g.info.adapter?.modules).toEqual(['q_proj', 'k_proj', 'v_proj', 'o_proj', 'down_proj']);
    expect(a.tokens).toEqual(b.tokens);
    expect(a.tokens[1]).not.toEqual(a.tokens[0]); // the adapter changes what the model says
    const { worstDev, worstRef } = measureParity(cfg, weights, req, a, b, (r) => mergeAdapter(cfg, weights, adapter, strengths[r]));
    console.log(`${id} ${dtype} LoRA: webgpu~wasm ${worstDev.toExponential(1)}, vs merged reference ${worstRef.toExponential(1)}`);
    expect(worstDev).toBeLessThan(1e-3);
    expect(worstRef).toBeLessThan(1e-3);
  });

  it('f16 variants run on WebGPU only where the adapter has shader-f16', async () => {
    const gpu = await pages.page(true);
    const features = await gpuFeatures(gpu);
    expect(features, 'Chromium must expose a WebGPU adapter (--enable-unsafe-webgpu)').not.toBeNull();
    // SwiftShader has no shader-f16: the f16 parity run is for adapters that do (a real GPU, `bench:browser --serve`).
    expect(features).not.toContain('shader-f16');
  });
});
