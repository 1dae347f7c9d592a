/**
 * Drafted tokens (LoopRequest.drafts): checked in the prompt pass, kept where the model picks them anyway.
 * The tokens must be exactly those of a run without a draft, which the float64 reference forward pass gives
 * here (fp32 fixtures), and a draft that is right must save the decode passes it covers.
 */
import { describe, expect, it } from 'vitest';
import { fixtureModel, variantName, type FixtureModel } from '../helpers/fixtureModel';
import { argmax, seededIds } from '../helpers/compare';
import { referenceGreedy, type Intervene } from '../fixtures/reference';
import { PrefixCache, runLoop, type LoopRequest } from '../../src/engine/core/runtime/generate';
import { createDecoder, type Decoder } from '../../src/engine/core/runtime/decoder';
import { instrument } from '../../src/engine/core/onnx/instrument';
import { makePicker } from '../../src/engine/core/runtime/pick';
import { resolveSpec, type SteeringSpec } from '../../src/engine/shared/steering';
import type { AddSpec } from '../../src/engine/shared/interventions/add';
import type { FixtureConfig } from '../fixtures/spec';

const N = 8;
const vec = (D: number) => Array.from({ length: D }, (_, i) => Math.cos(i * 0.9));

function request(m: FixtureModel, prompt: number[], specs: SteeringSpec[], extra: Partial<LoopRequest> = {}): LoopRequest {
  const dims = { numLayers: m.cfg.numLayers, hiddenSize: m.cfg.hiddenSize };
  return {
    ids: [prompt], steering: [specs.map((s) => resolveSpec(s, dims))], maxNewTokens: N, pick: (_r, l) => argmax(l),
    eos: new Set(), padId: 0, stopAtEos: false, taps: [], ...extra,
  };
}

/** The decoder with its forward passes counted. */
function counting(dec: Decoder): { dec: Decoder; passes: () => number } {
  let n = 0;
  return { dec: { ...dec, forward: (s) => { n++; return dec.forward(s); } }, passes: () => n };
}

/** The reference's intervention for one add spec: h += coeff·v at the spec's layer on the positions its mode steers. */
function addAt(spec: AddSpec, promptLength: number): Intervene {
  const v = spec.vector as number[];
  return (layer, _row, pos, h) => {
    if (layer !== spec.layer) return;
    const on = spec.positions === 'all' || (spec.positions === 'prompt' ? pos < promptLength : pos >= promptLength - 1);
    if (on) for (let i = 0; i < h.length; i++) h[i] += spec.coeff * v[i];
  };
}

const VARIANTS: Partial<FixtureConfig>[] = [
  { family: 'llama', layout: 'decomposed', dtype: 'fp32' },
  { family: 'qwen2', layout: 'builder', attention: 'gqa', dtype: 'fp32' },
];

describe.each(VARIANTS.map((v) => [variantName(v), v] as const))('%s', (_n, variant) => {
  it('a right draft gives the reference tokens in one pass; a wrong one the same tokens, kept up to its first wrong token', async () => {
    const m = await fixtureModel(variant);
    const prompt = seededIds(6, 11, 500);
    for (const positions of ['all', 'response', 'prompt'] as const) {
      const spec: AddSpec = { layer: 1, vector: vec(m.cfg.hiddenSize), coeff: 3, positions };
      const want = referenceGreedy(m.cfg, m.weights, prompt, N, { intervene: addAt(spec, prompt.length) });
      const right = counting(m.decoder);
      const r = await runLoop(right.dec, new PrefixCache(), request(m, prompt, [spec], { drafts: [want] }));
      expect(r.tokens[0], positions).toEqual(want);
      expect(r.draftAccepted, positions).toBe(N - 1);
      expect(right.passes(), positions).toBe(1);
      for (const wrongAt of [0, 3]) {
        const draft = want.map((t, i) => (i === wrongAt ? (t + 1) % m.cfg.vocabSize : t));
        const w = counting(m.decoder);
        const out = await runLoop(w.dec, new PrefixCache(), request(m, prompt, [spec], { drafts: [draft] }));
        expect(out.tokens[0], `${positions}, wrong at ${wrongAt}`).toEqual(want);
        expect(out.draftAccepted).toBe(wrongAt);
        // One pass covers the kept drafts and the token after the first wrong one; the rest one pass each.
        expect(w.passes()).toBe(N - wrongAt);
      }
    }
  });

  it('a seeded sampler draws the same tokens with a draft, and the monitored tap of each step is the same', async () => {
    const m = await fixtureModel(variant);
    const prompt = seededIds(7, 4, 500);
    const spec: SteeringSpec = { layer: 0, vector: vec(m.cfg.hiddenSize), coeff: 2, positions: 'all' };
    const tap = 'blocks.1.hook_resid_post' as const;
    const run = async (drafts?: number[][]) => {
      const seen: Float32Array[] = [];
      const out = await runLoop(m.decoder, new PrefixCache(), request(m, prompt, [spec], {
        pick: makePicker([{ temperature: 1.3, seed: 9 }]), taps: [tap], captures: [], drafts,
        onToken: (_r, step, _t, last) => (seen[step] = last[tap].slice()),
      }));
      return { tokens: out.tokens[0], seen, kept: out.draftAccepted };
    };
    const plain = await run();
    const partly = plain.tokens.map((t, i) => (i === 5 ? (t + 1) % m.cfg.vocabSize : t));
    for (const draft of [plain.tokens, partly]) {
      const d = await run([draft]);
      expect(d.tokens).toEqual(plain.tokens);
      expect(d.kept).toBe(draft === partly ? 5 : N - 1);
      d.seen.forEach((v, step) => v.forEach((x, i) => expect(x).toBeCloseTo(plain.seen[step][i], 4)));
      expect(d.seen).toHaveLength(N);
    }
  });
});

describe('drafts', () => {
  const variant: Partial<FixtureConfig> = { family: 'llama', layout: 'decomposed', dtype: 'fp32' };

  it('stop at an end-of-sequence token inside the draft, and are ignored in a batch or with captures', async () => {
    const m = await fixtureModel(variant);
    const prompt = seededIds(6, 2, 500);
    const want = referenceGreedy(m.cfg, m.weights, prompt, N);
    const eos = await runLoop(m.decoder, new PrefixCache(), request(m, prompt, [], { drafts: [want], eos: new Set([want[2]]), stopAtEos: true }));
    const stop = want.indexOf(want[2]);
    expect(eos.tokens[0]).toEqual(want.slice(0, stop + 1));
    expect(eos.draftAccepted).toBe(stop + 1); // the end-of-sequence token was a drafted one too
    const batch = await runLoop(m.decoder, new PrefixCache(), { ...request(m, prompt, []), ids: [prompt, prompt], steering: [[], []], drafts: [want, want] });
    expect(batch.tokens).toEqual([want, want]);
    expect(batch.draftAccepted).toBe(0);
    const captured = await runLoop(m.decoder, new PrefixCache(), request(m, prompt, [], { drafts: [want], taps: ['blocks.0.hook_resid_post'] }));
    expect(captured.tokens[0]).toEqual(want);
    expect(captured.draftAccepted).toBe(0);
    expect(captured.captures['blocks.0.hook_resid_post'].shape).toEqual([1, prompt.length + N, m.cfg.hiddenSize]);
  });

  it('leave the prefix cache usable (response mode), and work on a graph that computes every position\'s logits', async () => {
    const m = await fixtureModel(variant);
    const prompt = seededIds(9, 5, 500);
    const spec = (coeff: number): AddSpec => ({ layer: 1, vector: vec(m.cfg.hiddenSize), coeff, positions: 'response' });
    const cache = new PrefixCache();
    const first = await runLoop(m.decoder, cache, request(m, prompt, [spec(2)]));
    const want = referenceGreedy(m.cfg, m.weights, prompt, N, { intervene: addAt(spec(3), prompt.length) });
    const second = await runLoop(m.decoder, cache, request(m, prompt, [spec(3)], { drafts: [first.tokens[0]] }));
    expect(second.prefixReused).toBe(true);
    expect(second.tokens[0]).toEqual(want);
    const third = await runLoop(m.decoder, cache, request(m, prompt, [spec(3)], { drafts: [want] }));
    expect(third.prefixReused).toBe(true);
    expect(third.tokens[0]).toEqual(want);
    const all = await createDecoder(instrument(m.model, { numLayers: m.cfg.numLayers, hiddenSize: m.cfg.hiddenSize, selectLogits: false }), { device: 'wasm', externalData: m.externalData, vocabSize: m.cfg.vocabSize });
    const partly = want.map((t, i) => (i === 4 ? (t + 1) % m.cfg.vocabSize : t));
    const out = await runLoop(all, new PrefixCache(), request(m, prompt, [spec(3)], { drafts: [partly] }));
    expect(out.tokens[0]).toEqual(want);
    expect(out.draftAccepted).toBe(4);
    await all.release();
  });
});
