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
import { effectiveWeights, referenceForward, type Intervene } from '../fixtures/reference';
import { fixtureConfig } from '../fixtures/weights';
import type { FixtureDtype } from '../fixtures/spec';
import { relErr } from '../helpers/compare';
import { browserReady } from './harness';
import { gpuFeatures, runRequests, startEnginePages, type EnginePages, type RepoSpec, type RunResult } from './enginePage';
import type { JsonRequest } from './engine-page/main';
import { applyReference } from '../fixtures/interventions';
import { adapterFiles, makeAdapter, mergeAdapter } from '../fixtures/lora';

const REPOS: Record<string, RepoSpec> = {
  'parity/qwen-decomposed': { family: 'qwen2', layout: 'decomposed', dtype: 'fp32', extra: ['q4'] },
  'parity/llama-mha': { family: 'llama', layout: 'builder', attention: 'mha', dtype: 'fp32', extra: ['q4'] },
  'parity/llama-gqa': { family: 'llama', layout: 'builder', attention: 'gqa', dtype: 'fp32', extra: ['q4'] },
};
const TOKENS = 24;
const LONG = 'One prompt long enough to need several WebGPU prefill passes: the quick brown fox jumps over the lazy dog, twice, then rests by the river bank until dusk.';

const wave = (D: number, k: number) => Array.from({ length: D }, (_, i) => Math.sin(0.7 * i * k + k));

/** The requests of the harness, built from the model's sizes only (so both devices get identical JSON). */
function requests(D: number, L: number): JsonRequest[] {
  const v1 = wave(D, 1), v2 = wave(D, 2), u = wave(D, 3);
  return [
    { rows: [{ prompt: LONG }, { prompt: 'Hi' }, { prompt: 'The sea is wide and deep' }], maxNewTokens: 0, captures: tapsOf(L) },
    {
      rows: [
        { prompt: 'Tell me a story' },
        { prompt: LONG, steering: [{ layer: 1, vector: v1, coeff: 2, positions: 'all' }, { layer: L - 1, vector: v2, coeff: 3, positions: 'response' }] },
        { prompt: 'Why is the sky blue?', steering: [{ layer: 0, direction: u, ablate: 1, positions: 'all' }, { layer: 2, vector: v1, coeff: -2, positions: 'prompt' }] },
        { prompt: 'A', steering: [{ layer: L - 1, direction: u, ablate: 1.5, positions: 'response' }, { layer: L - 1, vector: v2, coeff: 1.5, positions: 'all' }, { layer: 1, direction: v2, ablate: 0.5, positions: 'prompt' }] },
      ],
      maxNewTokens: TOKENS, stopAtEos: false, captures: tapsOf(L), monitor: { layer: 1, direction: v1 },
    },
    // Capping (issue 16): a band on its own, and a cap composed with an add and an ablation at one layer
    // (the cap acts on their result), beside an unsteered row in one batch.
    {
      rows: [
        { prompt: 'Tell me a story' },
        { prompt: LONG, steering: [{ kind: 'cap', layer: 1, direction: v1, min: -0.5, max: 0.5, positions: 'all' }] },
        { prompt: 'Why is the sky blue?', steering: [{ layer: L - 1, vector: v1, coeff: 4, positions: 'all' }, { layer: L - 1, direction: u, ablate: 1, positions: 'prompt' }, { kind: 'cap', layer: L - 1, direction: v1, max: 0.25, positions: 'response' }] },
      ],
      maxNewTokens: 8, stopAtEos: false, captures: tapsOf(L),
    },
    // The lab's own shape: baseline + one steered row, one vector at the last layer, every other layer idle
    // (idle layers get a [1,1,D] feed beside the steered layer's [B,S,D]).
    ...(['all', 'response'] as const).map((positions): JsonRequest => ({
      rows: [{ prompt: 'Tell me about the sea' }, { prompt: 'Tell me about the sea', steering: [{ layer: L - 1, vector: v2, coeff: 4, positions }] }],
      maxNewTokens: 8, stopAtEos: false, captures: [`blocks.${L - 1}.hook_resid_post`], monitor: { layer: L - 1, direction: v2 },
    })),
  ];
}

const tapsOf = (L: number) => ['hook_embed', ...Array.from({ length: L }, (_, l) => [`blocks.${l}.hook_resid_mid`, `blocks.${l}.hook_resid_post`]).flat()] as JsonRequest['captures'];

/** The reference's intervention for one row's specs (tests/fixtures/interventions.ts, written from the maths). */
function intervention(specs: NonNullable<JsonRequest['rows'][number]['steering']>, n: number): Intervene {
  return (layer, _row, pos, h) => applyReference(specs, layer, pos, n, h);
}

/** Row r's valid captured positions of one tap, as a flat array. */
function rowSlice(res: RunResult, tap: string, r: number): number[] {
  const c = res.captures[tap];
  const [, S, D] = c.shape;
  const from = res.padLeft[r];
  const to = from + res.promptLengths[r] + res.tokens[r].length;
  return c.data.slice((r * S + from) * D, (r * S + Math.min(to, S)) * D);
}

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
      let worstDev = 0, worstRef = 0;
      req.rows.forEach((row, r) => {
        const seq = [...a.ids[r], ...a.tokens[r]];
        const ref = referenceForward(cfg, weights, [seq], [seq.map(() => 1)], { intervene: intervention(row.steering ?? [], a.ids[r].length) });
        for (const tap of req.captures ?? []) {
          const ga = rowSlice(a, tap, r), wb = rowSlice(b, tap, r);
          const want = Array.from(ref.taps[tap].subarray(0, ga.length));
          worstDev = Math.max(worstDev, relErr(ga, wb));
          worstRef = Math.max(worstRef, relErr(ga, want), relErr(wb, want));
        }
        if (req.monitor) expect(relErr(a.projections![r], b.projections![r]), `request ${q} row ${r} projections`).toBeLessThan(1e-3);
      });
      figures.push(`request ${q}: webgpu~wasm ${worstDev.toExponential(1)}, vs reference ${worstRef.toExponential(1)}`);
      // fp32 and q4 alike: both devices dequantize the same 4-bit weights, so only summation order differs
      // (measured ≤ 1e-5); 1e-3 is the bar. The reference uses the same effective weights.
      expect(worstDev, `request ${q}: WebGPU vs wasm captures`).toBeLessThan(1e-3);
      expect(worstRef, `request ${q}: captures vs float64 reference`).toBeLessThan(1e-3);
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
    let worstDev = 0, worstRef = 0;
    req.rows.forEach((row, r) => {
      const seq = [...a.ids[r], ...a.tokens[r]];
      const merged = mergeAdapter(cfg, weights, adapter, strengths[r]);
      const ref = referenceForward(cfg, merged, [seq], [seq.map(() => 1)], { intervene: intervention(row.steering ?? [], a.ids[r].length) });
      for (const tap of req.captures ?? []) {
        const ga = rowSlice(a, tap, r), wb = rowSlice(b, tap, r);
        const want = Array.from(ref.taps[tap].subarray(0, ga.length));
        worstDev = Math.max(worstDev, relErr(ga, wb));
        worstRef = Math.max(worstRef, relErr(ga, want), relErr(wb, want));
      }
    });
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
