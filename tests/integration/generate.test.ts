/**
 * The generation loop on real onnxruntime-web sessions of fixture models: KV cache vs full
 * recomputation, batching vs separate runs, prefix reuse, cancellation.
 */
import { describe, expect, it } from 'vitest';
import { fixtureModel, variantName, type FixtureModel } from '../helpers/fixtureModel';
import { argmax, seededIds } from '../helpers/compare';
import { referenceGreedy } from '../fixtures/reference';
import { PrefixCache, runLoop, type LoopRequest } from '../../src/engine/core/runtime/generate';
import { resolveSpec, type SteeringSpec } from '../../src/engine/shared/steering';
import { byLayer } from '../../src/engine/core/runtime/steerFeeds';
import { EngineError } from '../../src/engine/shared/errors';
import type { FixtureConfig } from '../fixtures/spec';

const greedy = (_row: number, l: Float32Array) => argmax(l);

function request(m: FixtureModel, ids: number[][], specs: SteeringSpec[][], extra: Partial<LoopRequest> = {}): LoopRequest {
  const dims = { numLayers: m.cfg.numLayers, hiddenSize: m.cfg.hiddenSize };
  return {
    ids, steering: specs.map((row) => row.map((s) => resolveSpec(s, dims))), maxNewTokens: 8, pick: greedy,
    eos: new Set(), padId: 0, stopAtEos: false, taps: [], ...extra,
  };
}

/** Greedy decoding by re-running the whole sequence every step (no KV cache). */
async function recompute(m: FixtureModel, prompt: number[], steps: number, specs: SteeringSpec[] = []): Promise<number[]> {
  const dims = { numLayers: m.cfg.numLayers, hiddenSize: m.cfg.hiddenSize };
  const steering = byLayer([specs.map((s) => resolveSpec(s, dims))]);
  const seq = [...prompt];
  for (let i = 0; i < steps; i++) {
    const S = seq.length;
    const out = await m.decoder.forward({ ids: [seq], mask: [seq.map(() => 1)], positions: [seq.map((_, j) => j)], past: null, steering, pass: { phase: 'prefill', start: 0, length: S, promptLength: S, padLeft: [0] }, taps: [] });
    seq.push(argmax(out.logits![0]));
  }
  return seq.slice(prompt.length);
}

const vec = (D: number) => Array.from({ length: D }, (_, i) => Math.sin(i * 1.7));

const LOOP_VARIANTS: Partial<FixtureConfig>[] = [
  { family: 'llama', layout: 'decomposed', dtype: 'fp32' },
  { family: 'qwen2', layout: 'decomposed', dtype: 'q4' },
  { family: 'llama', layout: 'builder', attention: 'mha', dtype: 'fp32' },
  { family: 'qwen2', layout: 'builder', attention: 'gqa', dtype: 'fp32' },
  { family: 'llama', layout: 'decomposed', dtype: 'fp16' },
];

describe.each(LOOP_VARIANTS.map((v) => [variantName(v), v] as const))('%s', (_n, variant) => {
  it('KV-cached generation equals full recomputation for 32 greedy tokens', async () => {
    const m = await fixtureModel(variant);
    const prompt = seededIds(6, 3, 500);
    const cached = await runLoop(m.decoder, new PrefixCache(), request(m, [prompt], [[]], { maxNewTokens: 32 }));
    expect(cached.tokens[0]).toEqual(await recompute(m, prompt, 32));
    if (variant.dtype === 'fp32') expect(cached.tokens[0]).toEqual(referenceGreedy(m.cfg, m.weights, prompt, 32));
  });

  it('steered generation (all / response) with the KV cache equals steered recomputation', async () => {
    const m = await fixtureModel(variant);
    const prompt = seededIds(5, 8, 500);
    for (const positions of ['all', 'response'] as const) {
      const spec: SteeringSpec = { layer: 1, vector: vec(m.cfg.hiddenSize), coeff: 4, positions };
      const cached = await runLoop(m.decoder, new PrefixCache(), request(m, [prompt], [[spec]], { maxNewTokens: 12 }));
      // 'response' steers the last position of every pass; full recomputation steers every position
      // from the last prompt token on, which is the same set of positions.
      const want = positions === 'all' ? await recompute(m, prompt, 12, [spec]) : await recomputeResponse(m, prompt, 12, spec);
      expect(cached.tokens[0], positions).toEqual(want);
    }
  });

  it('prefix reuse equals a fresh prefill, and is skipped when steering touches the prefix', async () => {
    const m = await fixtureModel(variant);
    const prompt = seededIds(9, 21, 500);
    const cache = new PrefixCache();
    const spec = (coeff: number, positions: 'response' | 'all'): SteeringSpec => ({ layer: 2, vector: vec(m.cfg.hiddenSize), coeff, positions });
    const first = await runLoop(m.decoder, cache, request(m, [prompt, prompt], [[], [spec(2, 'response')]]));
    expect(first.prefixReused).toBe(false);
    const second = await runLoop(m.decoder, cache, request(m, [prompt, prompt], [[], [spec(6, 'response')]]));
    expect(second.prefixReused).toBe(true);
    const fresh = await runLoop(m.decoder, new PrefixCache(), request(m, [prompt, prompt], [[], [spec(6, 'response')]]));
    expect(second.tokens).toEqual(fresh.tokens);
    expect(second.tokens[0]).toEqual(first.tokens[0]);
    const third = await runLoop(m.decoder, cache, request(m, [prompt, prompt], [[], [spec(6, 'all')]]));
    expect(third.prefixReused).toBe(false);
  });

  it('cancel mid-generation stops within one step and the next request works', async () => {
    const m = await fixtureModel(variant);
    const prompt = seededIds(4, 5, 500);
    const ctrl = new AbortController();
    let seen = 0;
    const run = runLoop(m.decoder, new PrefixCache(), request(m, [prompt], [[]], {
      maxNewTokens: 30, signal: ctrl.signal, onToken: (_r, step) => { seen = step + 1; if (step === 2) ctrl.abort(); },
    }));
    await expect(run).rejects.toSatisfy((e: unknown) => e instanceof EngineError && e.code === 'cancelled');
    expect(seen).toBe(3);
    const after = await runLoop(m.decoder, new PrefixCache(), request(m, [prompt], [[]], { maxNewTokens: 6 }));
    expect(after.tokens[0]).toEqual(await recompute(m, prompt, 6));
  });
});

/** Full recomputation with steering on positions >= promptLength-1 (what 'response' means). */
async function recomputeResponse(m: FixtureModel, prompt: number[], steps: number, spec: SteeringSpec): Promise<number[]> {
  const dims = { numLayers: m.cfg.numLayers, hiddenSize: m.cfg.hiddenSize };
  const resolved = resolveSpec({ ...spec, positions: 'all' } as SteeringSpec, dims);
  const seq = [...prompt];
  for (let i = 0; i < steps; i++) {
    const S = seq.length;
    // Steer positions from the last prompt token on: a two-pass forward (unsteered prefix, steered rest).
    const pre = await m.decoder.forward({ ids: [seq.slice(0, prompt.length - 1)], mask: [Array(prompt.length - 1).fill(1)], positions: [Array.from({ length: prompt.length - 1 }, (_, j) => j)], past: null, steering: new Map(), pass: { phase: 'prefill', start: 0, length: prompt.length - 1, promptLength: S, padLeft: [0] }, taps: [] });
    const rest = seq.slice(prompt.length - 1);
    const out = await m.decoder.forward({ ids: [rest], mask: [seq.map(() => 1)], positions: [rest.map((_, j) => prompt.length - 1 + j)], past: pre.present, steering: byLayer([[resolved]]), pass: { phase: 'prefill', start: prompt.length - 1, length: rest.length, promptLength: S, padLeft: [0] }, taps: [] });
    seq.push(argmax(out.logits![0]));
  }
  return seq.slice(prompt.length);
}

describe('batching', () => {
  it.each([
    { family: 'llama', layout: 'decomposed', dtype: 'fp32' },
    { family: 'qwen2', layout: 'builder', attention: 'mha', dtype: 'fp32' },
  ] as Partial<FixtureConfig>[])('K rows with different coefficients and prompt lengths equal K separate runs ($layout)', async (variant) => {
    const m = await fixtureModel(variant);
    const prompts = [seededIds(3, 1, 500), seededIds(7, 2, 500), seededIds(5, 3, 500), seededIds(7, 4, 500)];
    const coeffs = [0, 2, -3, 5];
    const specs = coeffs.map((c) => [{ layer: 1, vector: vec(m.cfg.hiddenSize), coeff: c, positions: 'all' as const }]);
    const batch = await runLoop(m.decoder, new PrefixCache(), request(m, prompts, specs, { maxNewTokens: 10 }));
    for (let r = 0; r < prompts.length; r++) {
      const alone = await runLoop(m.decoder, new PrefixCache(), request(m, [prompts[r]], [specs[r]], { maxNewTokens: 10 }));
      expect(batch.tokens[r], `row ${r}`).toEqual(alone.tokens[0]);
    }
  });
});
