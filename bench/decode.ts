/**
 * The decode benchmarks, all on the synthetic q4 decoder of bench/models.ts, run with the engine's own
 * generation loop (runLoop) in onnxruntime-web's wasm backend.
 *
 * "The original graph, same generation loop": the un-instrumented file is opened with the engine's
 * own createDecoder, given a model description with no steering inputs and no taps. createDecoder then
 * builds exactly the same feeds (ids, mask, positions, past KV) minus the steering inputs, and runLoop
 * drives it unchanged, so the two sides differ only by the graph edit and the steering feeds.
 */
import { instrument, type InstrumentedModel } from '../src/engine/core/onnx/instrument';
import { createDecoder, deviceInstrumentOptions, type Decoder } from '../src/engine/core/runtime/decoder';
import { resolveSpec, type ResolvedSpec } from '../src/engine/shared/steering';
import type { Device, TapName } from '../src/engine/shared/api';
import { DECODE_CONFIG, ensureModel, modelDirName, type BenchModel } from './models';
import type { FixtureConfig } from '../tests/fixtures/spec';
import {
  PrefixCache, check, decodeRate, generate, interleave, median, perRunRates, promptIds, round, since, stamp, timing, unitVector,
  type BenchResult, type Clock, type GenStats, type Stamp,
} from './harness';
import { ortWeb } from './ortGlobal';
import { readLoraAdapter } from '../src/engine/core/onnx/loraAdapter';
import { adapterFiles, makeAdapter } from '../tests/fixtures/lora';

export interface Scale {
  reps: number;
  newTokens: number;
  promptTokens: number;
  sweepReps: number;
  sweepNewTokens: number;
  sliderReps: number;
}
export interface Opts { scale: Scale; clock: Clock }

/** Both clocks' figures of a rate comparison: `num / den` of decode tokens/s. */
function rates(runs: Record<string, { steps: Stamp[] }[]>, num: string, den: string, clock: Clock) {
  const both = (['wall', 'cpu'] as const).map((k) => {
    const n = decodeRate(runs[num], k);
    const d = decodeRate(runs[den], k);
    return [k, { [num]: round(n), [den]: round(d), ratio: round(n / d, 4) }] as const;
  });
  const byClock = Object.fromEntries(both) as unknown as Record<Clock, Record<string, number>>;
  const perRun = Object.fromEntries((['wall', 'cpu'] as const).map((k) => [k, Object.fromEntries(Object.entries(runs).map(([name, r]) => [name, perRunRates(r, k)]))]));
  return { ratio: byClock[clock].ratio, num: byClock[clock][num], den: byClock[clock][den], tokPerSec: byClock, perRunTokPerSec: perRun };
}

/** Both clocks' figures of a time comparison: median(num) / median(den). */
function times(runs: Record<string, Stamp[]>, num: string, den: string, clock: Clock) {
  const both = (['wall', 'cpu'] as const).map((k) => {
    const n = median(runs[num].map((x) => x[k]));
    const d = median(runs[den].map((x) => x[k]));
    return [k, { [`${num}Ms`]: round(n, 1), [`${den}Ms`]: round(d, 1), ratio: round(n / d, 4) }] as const;
  });
  const byClock = Object.fromEntries(both) as unknown as Record<Clock, Record<string, number>>;
  const perRun = Object.fromEntries((['wall', 'cpu'] as const).map((k) => [k, Object.fromEntries(Object.entries(runs).map(([name, r]) => [name, r.map((x) => round(x[k], 1))]))]));
  return { ratio: byClock[clock].ratio, num: byClock[clock][`${num}Ms`], den: byClock[clock][`${den}Ms`], ms: byClock, perRunMs: perRun };
}

export const FULL: Scale = { reps: 5, newTokens: 10, promptTokens: 16, sweepReps: 2, sweepNewTokens: 8, sliderReps: 3 };
export const QUICK: Scale = { reps: 2, newTokens: 6, promptTokens: 16, sweepReps: 1, sweepNewTokens: 4, sliderReps: 2 };

export interface DecodeContext {
  model: BenchModel;
  inst: InstrumentedModel;
  instrumented: Decoder;
  original: Decoder;
  /** The instrumented graph as it was before issue 14: logits at every position, always computed. */
  allLogits(): Promise<Decoder>;
  steer(coeff: number, positions?: 'all' | 'prompt' | 'response'): ResolvedSpec;
  layer: number;
}

const contexts = new Map<string, Promise<DecodeContext>>();

/**
 * Builds (or loads) the model, instruments it for `device` and opens both decoders, warmed up; one
 * context per device and model. The Node bench runs on wasm; bench/gpu also opens one on WebGPU.
 */
export function decodeContext(log: (s: string) => void, device: Device = 'wasm', config: FixtureConfig = DECODE_CONFIG): Promise<DecodeContext> {
  const key = `${device} ${modelDirName(config)}`;
  const known = contexts.get(key);
  if (known) return known;
  const ctx = (async () => {
    const model = ensureModel(config, log);
    const { numLayers, hiddenSize, vocabSize } = config;
    // Instrumented as the engine does for a session on this device (decoder.ts deviceInstrumentOptions).
    const inst = instrument(model.bytes, { numLayers, hiddenSize, ...deviceInstrumentOptions(device) });
    log(`opening ${device} sessions (instrumented and original graph)…`);
    const instrumented = await createDecoder(inst, { device, externalData: [], vocabSize });
    const plain: InstrumentedModel = { ...inst, bytes: model.bytes, steer: [], taps: [], logitsPositions: undefined };
    const original = await createDecoder(plain, { device, externalData: [], vocabSize });
    let allLogits: Promise<Decoder> | null = null;
    const openAllLogits = () => (allLogits ??= (async () => {
      const d = await createDecoder(instrument(model.bytes, { numLayers, hiddenSize, selectLogits: false }), { device, externalData: [], vocabSize });
      await generate(d, new PrefixCache(), { ids: [promptIds(8, 1)], maxNewTokens: 3 });
      return d;
    })());
    const layer = numLayers >> 1;
    const v = unitVector(hiddenSize, 17);
    const steer = (coeff: number, positions: 'all' | 'prompt' | 'response' = 'response') =>
      resolveSpec({ layer, vector: v, coeff, positions }, { numLayers, hiddenSize });
    // Warm-up: the first runs of a session are much slower (allocator growth, kernel set-up).
    const warm = promptIds(8, 1);
    for (const d of [instrumented, original]) await generate(d, new PrefixCache(), { ids: [warm], maxNewTokens: 3 });
    return { model, inst, instrumented, original, allLogits: openAllLogits, steer, layer };
  })();
  contexts.set(key, ctx);
  return ctx;
}


const rate = (x: number) => `${x.toFixed(2)} tok/s`;

export async function steerOverhead(c: DecodeContext, { scale: s, clock }: Opts): Promise<BenchResult> {
  const ids = [promptIds(s.promptTokens, 2)];
  const spec = c.steer(8);
  const runs = await interleave(s.reps, {
    original: () => generate(c.original, new PrefixCache(), { ids, maxNewTokens: s.newTokens }),
    steered: () => generate(c.instrumented, new PrefixCache(), { ids, steering: [[spec]], maxNewTokens: s.newTokens }),
  });
  const r = rates(runs, 'steered', 'original', clock);
  const target = '>= 0.97';
  return {
    name: 'steer-overhead', ratio: r.ratio, target, pass: check(r.ratio, target), clock,
    summary: `original ${rate(r.den)}, instrumented + 1 vector ${rate(r.num)} (${clock} clock)`,
    tokPerSec: r.tokPerSec, perRunTokPerSec: r.perRunTokPerSec,
    steering: `add coeff 8 x unit vector at layer ${c.layer}, positions response (active every decode step)`,
    reps: s.reps, newTokens: s.newTokens, promptTokens: s.promptTokens,
  };
}

export async function tapReadback(c: DecodeContext, { scale: s, clock }: Opts): Promise<BenchResult> {
  const ids = [promptIds(s.promptTokens, 3)];
  const tap: TapName = `blocks.${c.layer}.hook_resid_post`;
  const runs = await interleave(s.reps, {
    none: () => generate(c.instrumented, new PrefixCache(), { ids, maxNewTokens: s.newTokens }),
    tap: () => generate(c.instrumented, new PrefixCache(), { ids, maxNewTokens: s.newTokens, taps: [tap] }),
  });
  const r = rates(runs, 'tap', 'none', clock);
  const target = '>= 0.98';
  return {
    name: 'tap-readback', ratio: r.ratio, target, pass: check(r.ratio, target), clock,
    summary: `no taps ${rate(r.den)}, ${tap} every step ${rate(r.num)} (${clock} clock)`,
    tokPerSec: r.tokPerSec, perRunTokPerSec: r.perRunTokPerSec,
    reps: s.reps, newTokens: s.newTokens, promptTokens: s.promptTokens,
  };
}

export async function batchedSweep(c: DecodeContext, { scale: s, clock }: Opts): Promise<BenchResult> {
  const prompt = promptIds(s.promptTokens, 4);
  const coeffs = [-8, -4, -2, 2, 4, 8];
  const n = s.sweepNewTokens;
  let seqTokens: number[][] = [];
  let batchTokens: number[][] = [];
  const runs = await interleave(s.sweepReps, {
    sequential: async () => {
      // One after another, as six requests to the engine would run: they share a prefix cache, so
      // requests 2..6 (response mode) reuse the first one's prompt KV.
      const cache = new PrefixCache();
      const t0 = stamp();
      const out: GenStats[] = [];
      for (const k of coeffs) out.push(await generate(c.instrumented, cache, { ids: [prompt], steering: [[c.steer(k)]], maxNewTokens: n }));
      seqTokens = out.map((o) => o.tokens[0]);
      return since(t0);
    },
    batched: async () => {
      const t0 = stamp();
      const out = await generate(c.instrumented, new PrefixCache(), { ids: coeffs.map(() => prompt), steering: coeffs.map((k) => [c.steer(k)]), maxNewTokens: n });
      batchTokens = out.tokens;
      return since(t0);
    },
  });
  const r = times(runs, 'sequential', 'batched', clock);
  const target = '>= 3.0';
  const same = seqTokens.filter((t, i) => JSON.stringify(t) === JSON.stringify(batchTokens[i])).length;
  return {
    name: 'batched-sweep', ratio: r.ratio, target, pass: check(r.ratio, target), clock,
    summary: `6 sequential ${(r.num / 1000).toFixed(1)} s, one batch of 6 ${(r.den / 1000).toFixed(1)} s (${clock} clock)`,
    ms: r.ms, perRunMs: r.perRunMs,
    coefficients: coeffs, newTokens: n, promptTokens: s.promptTokens, reps: s.sweepReps,
    rowsWithSameTokensAsSequential: `${same}/6`,
  };
}

export async function sliderRestart(c: DecodeContext, { scale: s, clock }: Opts): Promise<BenchResult> {
  const ids = [promptIds(256, 5)];
  const slider = new PrefixCache();
  let coeff = 2;
  // The first drag position fills the slider's cache (and warms the 256-token prefill path).
  await generate(c.instrumented, slider, { ids, steering: [[c.steer(coeff)]], maxNewTokens: 1 });
  let reusedAll = true;
  let fullReused = false;
  const runs = await interleave(s.sliderReps, {
    reuse: async () => {
      coeff += 1; // the slider moved: a new coefficient, same prompt, response mode
      const g = await generate(c.instrumented, slider, { ids, steering: [[c.steer(coeff)]], maxNewTokens: 1 });
      reusedAll &&= g.prefixReused;
      return g.firstToken;
    },
    full: async () => {
      const g = await generate(c.instrumented, new PrefixCache(), { ids, steering: [[c.steer(coeff + 0.5)]], maxNewTokens: 1 });
      fullReused ||= g.prefixReused;
      return g.firstToken;
    },
  });
  if (!reusedAll || fullReused) throw new Error(`slider-restart: prefix reuse did not behave (reused ${reusedAll}, full reused ${fullReused})`);
  const r = times(runs, 'reuse', 'full', clock);
  const target = '<= 0.5';
  return {
    name: 'slider-restart', ratio: r.ratio, target, pass: check(r.ratio, target), clock,
    summary: `first steered token: prefix reused ${r.num.toFixed(0)} ms, full prefill ${r.den.toFixed(0)} ms (${clock} clock)`,
    ms: r.ms, perRunMs: r.perRunMs,
    promptTokens: 256, positions: 'response', reps: s.sliderReps,
  };
}

/**
 * slider-steered-only: one slider move in the lab, as it generates now ÷ as it did before (baseline and steered
 * rows regenerated as one batch of two). Now: the baseline for the prompt, seed and sampling is kept
 * (src/app/baseline.ts), so the steered row runs alone, and the previous position's steered tokens go along as a
 * draft (GenerateRow.draft): checked in the prompt pass, kept where the model picks them anyway. Each arm keeps
 * its own prefix cache and previous tokens across moves, as the engine and the lab do, and all arms see the same
 * coefficients; the run fails if any arm's steered tokens differ from the pair's steered row. Headline: the lab's
 * default positions `all`; `response` (where the prefix is reused) is in the details. Two more arms say where the
 * time goes: the steered row alone without a draft, and with a draft whose first token is wrong (the floor:
 * what a move costs when the text changes at once).
 */
export async function sliderSteeredOnly(c: DecodeContext, { scale: s, clock }: Opts): Promise<BenchResult> {
  const prompt = promptIds(24, 8);
  const n = s.newTokens;
  const arms = ['kept', 'both', 'keptNoDraft', 'keptDraftRejected'] as const;
  type Arm = (typeof arms)[number];
  const perMode = async (positions: 'all' | 'response') => {
    const caches = Object.fromEntries(arms.map((a) => [a, new PrefixCache()])) as Record<Arm, PrefixCache>;
    const coeffs = Object.fromEntries(arms.map((a) => [a, 1])) as Record<Arm, number>;
    const previous = Object.fromEntries(arms.map((a) => [a, [] as number[]])) as Record<Arm, number[]>;
    const steered = Object.fromEntries(arms.map((a) => [a, new Map<number, number[]>()])) as Record<Arm, Map<number, number[]>>;
    const accepted: Record<Arm, number[]> = Object.fromEntries(arms.map((a) => [a, []])) as unknown as Record<Arm, number[]>;
    const draftOf = (arm: Arm): number[][] | undefined => {
      if (arm === 'kept') return [previous.kept];
      // Every drafted token off by one: rejected at the first position.
      if (arm === 'keptDraftRejected') return [previous.keptDraftRejected.map((t) => (t + 1) % DECODE_CONFIG.vocabSize)];
      return undefined;
    };
    const move = (arm: Arm) => async () => {
      const k = (coeffs[arm] += 1.5); // the slider moved
      const spec = c.steer(k, positions);
      const g = arm === 'both'
        ? await generate(c.instrumented, caches.both, { ids: [prompt, prompt], steering: [[], [spec]], maxNewTokens: n })
        : await generate(c.instrumented, caches[arm], { ids: [prompt], steering: [[spec]], maxNewTokens: n, drafts: draftOf(arm) });
      previous[arm] = g.tokens[arm === 'both' ? 1 : 0];
      steered[arm].set(k, previous[arm]);
      accepted[arm].push(g.draftAccepted);
      return g;
    };
    // The first position of each arm fills its cache and gives the first draft (the lab's first Generate), untimed.
    for (const a of arms) await move(a)();
    for (const a of arms) accepted[a].length = 0;
    const runs = await interleave(s.sliderReps, Object.fromEntries(arms.map((a) => [a, move(a)])) as Record<Arm, () => Promise<GenStats>>);
    for (const a of arms) {
      const same = [...steered[a]].every(([k, t]) => JSON.stringify(t) === JSON.stringify(steered.both.get(k)));
      if (!same) throw new Error(`slider-steered-only (${positions}): arm ${a} generated other steered tokens than the pair's steered row`);
    }
    const pick = (f: (g: GenStats) => Stamp) => Object.fromEntries(arms.map((a) => [a, runs[a].map(f)]));
    const totals = pick((g) => g.total);
    // The whole move is the figure; the first token (prompt pass, drafts included) and the decode steps show where the time goes.
    return {
      ...times(totals, 'kept', 'both', clock),
      moveMs: Object.fromEntries(arms.map((a) => [a, round(median(totals[a].map((x) => x[clock])), 1)])),
      firstTokenMs: Object.fromEntries(Object.entries(pick((g) => g.firstToken)).map(([a, xs]) => [a, round(median(xs.map((x) => x[clock])), 1)])),
      // Kept drafts arrive together at the end of the prompt pass, so only the arms without kept drafts have a decode rate.
      decodeTokPerSec: Object.fromEntries((['both', 'keptNoDraft', 'keptDraftRejected'] as const).map((a) => [a, round(decodeRate(runs[a], clock))])),
      draftsKept: `${accepted.kept.reduce((x, y) => x + y, 0)}/${accepted.kept.length * (n - 1)}`,
      keptNoDraftRatio: times(totals, 'keptNoDraft', 'both', clock).ratio,
      keptDraftRejectedRatio: times(totals, 'keptDraftRejected', 'both', clock).ratio,
    };
  };
  const all = await perMode('all');
  const response = await perMode('response');
  const target = '<= 0.6';
  const { ratio, num, den, ms, perRunMs, ...detail } = all;
  return {
    name: 'slider-steered-only', ratio, target, pass: check(ratio, target), clock,
    summary: `one slider move (positions all, ${n} tokens): steered row alone with the previous text as draft ${(num / 1000).toFixed(2)} s (drafts kept ${all.draftsKept}), both rows ${(den / 1000).toFixed(2)} s; without a draft ${all.keptNoDraftRatio}, draft rejected at once ${all.keptDraftRejectedRatio}; response mode ${response.ratio} (${clock} clock); same steered tokens`,
    ms, perRunMs, ...detail,
    response: { ratio: response.ratio, moveMs: response.moveMs, firstTokenMs: response.firstTokenMs, decodeTokPerSec: response.decodeTokPerSec, draftsKept: response.draftsKept, keptNoDraftRatio: response.keptNoDraftRatio, keptDraftRejectedRatio: response.keptDraftRejectedRatio },
    promptTokens: prompt.length, newTokens: n, reps: s.sliderReps,
  };
}

/**
 * collect-speedup: prompt-only activation collection (what vectors, probes and detection run): 16
 * prompts of 24–54 tokens in two batches of 8 (collect.ts's default), every layer's resid_post captured,
 * no token generated. "Before" is the graph as instrumented before issue 14 (the logits of every
 * position computed, then not fetched); "after" feeds an empty logits selection, so the graph projects
 * none. Same loop, same feeds otherwise, interleaved.
 */
export async function collectSpeedup(c: DecodeContext, { scale: s, clock }: Opts): Promise<BenchResult> {
  const before = await c.allLogits();
  const prompts = Array.from({ length: 16 }, (_, i) => promptIds(24 + ((i * 7) % 31), 40 + i));
  const taps = Array.from({ length: DECODE_CONFIG.numLayers }, (_, l) => `blocks.${l}.hook_resid_post` as TapName);
  const collect = (d: Decoder) => async () => {
    const t0 = stamp();
    const out: Float32Array[] = [];
    for (let b = 0; b < prompts.length; b += 8) {
      const g = await generate(d, new PrefixCache(), { ids: prompts.slice(b, b + 8), maxNewTokens: 0, captures: taps });
      out.push(g.captures[taps[taps.length - 1]].data);
    }
    return { t: since(t0), out };
  };
  const runs = await interleave(s.sliderReps, { before: collect(before), after: collect(c.instrumented) });
  const same = runs.before[0].out.every((x, i) => x.length === runs.after[0].out[i].length && x.every((v, k) => v === runs.after[0].out[i][k]));
  if (!same) throw new Error('collect-speedup: the two graphs captured different activations');
  const r = times({ before: runs.before.map((x) => x.t), after: runs.after.map((x) => x.t) }, 'before', 'after', clock);
  const target = '>= 1.2';
  return {
    name: 'collect-speedup', ratio: r.ratio, target, pass: check(r.ratio, target), clock,
    summary: `16 prompts, prompt-only: all-position logits ${(r.num / 1000).toFixed(2)} s, no logits ${(r.den / 1000).toFixed(2)} s (${clock} clock); same activations`,
    ms: r.ms, perRunMs: r.perRunMs, prompts: 16, batch: 8, promptTokens: prompts.map((p) => p.length), taps: taps.length, reps: s.sliderReps,
  };
}

/**
 * transformers.js `generate` on the same file, in the same process, on the same onnxruntime-web
 * module (see bench/ortGlobal.ts), same thread count, greedy, no EOS stop.
 */
async function loadTransformersJs(c: DecodeContext, log: (m: string) => void) {
  const tjs = await import('@huggingface/transformers');
  const { dirname, basename } = await import('node:path');
  tjs.env.allowRemoteModels = false;
  tjs.env.allowLocalModels = true;
  tjs.env.localModelPath = `${dirname(c.model.dir)}/`;
  (tjs.env as { useWasmCache?: boolean }).useWasmCache = false;
  const backend = tjs.env.backends.onnx as { versions?: Record<string, string> };
  if (backend.versions?.web !== ortWeb.env.versions.web || 'node' in (backend.versions ?? {})) {
    throw new Error(`transformers.js is not on the engine's onnxruntime-web (its backend reports ${JSON.stringify(backend.versions)})`);
  }
  log('loading the same model with transformers.js…');
  const model = await tjs.AutoModelForCausalLM.from_pretrained(basename(c.model.dir), {
    dtype: 'q4',
    // 'auto' maps to the (empty) device list of an externally supplied runtime; the EP list below wins.
    device: 'auto' as never,
    session_options: { executionProviders: ['wasm'], graphOptimizationLevel: 'all' } as never,
  });
  const tjsGenerate = async (prompt: number[], maxNew: number) => {
    const stamps: Stamp[] = [];
    const t0 = stamp();
    const input = new tjs.Tensor('int64', BigInt64Array.from(prompt.map(BigInt)), [1, prompt.length]);
    const mask = new tjs.Tensor('int64', BigInt64Array.from(prompt.map(() => 1n)), [1, prompt.length]);
    const out = (await (model as unknown as { generate(o: object): Promise<{ tolist(): bigint[][] }> }).generate({
      input_ids: input, attention_mask: mask, max_new_tokens: maxNew, do_sample: false, eos_token_id: null,
      streamer: { put: () => stamps.push(stamp()), end: () => {} },
    })).tolist();
    // put #0 is the prompt, then one per generated token
    return { tokens: [out[0].slice(prompt.length).map(Number)], ...timing(t0, stamps.slice(1)) };
  };
  await tjsGenerate(promptIds(8, 1), 3); // warm-up
  return { generate: tjsGenerate, dispose: () => (model as unknown as { dispose(): Promise<void> }).dispose() };
}

type Tjs = Awaited<ReturnType<typeof loadTransformersJs>>;
let tjsModel: Promise<Tjs> | null = null;
const transformersJs = (c: DecodeContext, log: (m: string) => void): Promise<Tjs> => (tjsModel ??= loadTransformersJs(c, log));
export async function disposeTransformersJs(): Promise<void> {
  if (tjsModel) await (await tjsModel).dispose();
  tjsModel = null;
}

/**
 * ttft-vs-transformers-js: time to the first token of a 256-token prompt (one row, greedy), transformers.js
 * `generate` ÷ ours, same file, same onnxruntime-web module, interleaved; same first token checked.
 */
export async function ttftVsTransformersJs(c: DecodeContext, { scale: s, clock }: Opts, log: (m: string) => void): Promise<BenchResult> {
  const tjs = await transformersJs(c, log);
  const prompt = promptIds(256, 7);
  const runs = await interleave(s.sliderReps, {
    transformers: () => tjs.generate(prompt, 1),
    ours: () => generate(c.instrumented, new PrefixCache(), { ids: [prompt], maxNewTokens: 1 }),
  });
  const sameToken = runs.transformers[0].tokens[0][0] === runs.ours[0].tokens[0][0];
  const r = times({ transformers: runs.transformers.map((x) => x.firstToken), ours: runs.ours.map((x) => x.firstToken) }, 'transformers', 'ours', clock);
  const target = '>= 1.2';
  return {
    name: 'ttft-vs-transformers-js', ratio: r.ratio, target, pass: check(r.ratio, target) && sameToken, clock,
    summary: `first token of a 256-token prompt: transformers.js ${r.num.toFixed(0)} ms, ours ${r.den.toFixed(0)} ms (${clock} clock); same token: ${sameToken}`,
    ms: r.ms, perRunMs: r.perRunMs, sameToken, promptTokens: 256, reps: s.sliderReps,
  };
}

export async function vsTransformersJs(c: DecodeContext, { scale: s, clock }: Opts, log: (m: string) => void): Promise<BenchResult> {
  const tjs = await transformersJs(c, log);
  const prompt = promptIds(s.promptTokens, 6);
  const runs = await interleave(s.reps, {
    transformers: () => tjs.generate(prompt, s.newTokens),
    ours: () => generate(c.instrumented, new PrefixCache(), { ids: [prompt], maxNewTokens: s.newTokens }),
    // Not part of the ratio: the un-instrumented graph through our loop separates loop from graph costs.
    oursOriginalGraph: () => generate(c.original, new PrefixCache(), { ids: [prompt], maxNewTokens: s.newTokens }),
  });
  const r = rates(runs, 'ours', 'transformers', clock);
  const orig = rates(runs, 'oursOriginalGraph', 'transformers', clock);
  const sameTokens = JSON.stringify(runs.transformers[0].tokens[0]) === JSON.stringify(runs.ours[0].tokens[0]);
  const target = '>= 1.05';
  return {
    name: 'vs-transformers-js', ratio: r.ratio, target, pass: check(r.ratio, target) && sameTokens, clock,
    summary: `ours (instrumented, no steering) ${rate(r.num)}, transformers.js generate ${rate(r.den)} (${clock} clock); same tokens: ${sameTokens}`,
    tokPerSec: r.tokPerSec, perRunTokPerSec: r.perRunTokPerSec, sameTokens,
    originalGraphThroughOurLoop: { tokPerSec: orig.tokPerSec, note: 'the un-instrumented file through our loop, interleaved with the two above; ratio = it / transformers.js' },
    firstTokenMs: Object.fromEntries((['wall', 'cpu'] as const).map((k) => [k, { ours: round(median(runs.ours.map((x) => x.firstToken[k])), 0), transformers: round(median(runs.transformers.map((x) => x.firstToken[k])), 0) }])),
    runtime: `both on onnxruntime-web ${ortWeb.env.versions.web} wasm, ${ortWeb.env.wasm.numThreads} thread(s), one module instance (transformers.js via globalThis[Symbol.for('onnxruntime')])`,
    reps: s.reps, newTokens: s.newTokens, promptTokens: s.promptTokens,
  };
}

/**
 * A rank-16 LoRA adapter on q/k/v/o of every layer (the shape of the model organism), applied in the
 * graph at strength 1, against the same instrumented graph without it: what the float32 branches cost per
 * decode step beside the 4-bit weights.
 */
export async function loraOverhead(c: DecodeContext, { scale: s, clock }: Opts): Promise<BenchResult> {
  const { numLayers, hiddenSize, vocabSize } = DECODE_CONFIG;
  const adapter = readLoraAdapter(adapterFiles(makeAdapter(DECODE_CONFIG, { modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'], rank: 16, alpha: 32, seed: 4 })));
  // Instrumented as the engine does for a wasm session, like the graph it is compared with (the split lm_head
  // alone is about a quarter of a step: without it here the ratio measured the split, not the adapter).
  const inst = instrument(c.model.bytes, { numLayers, hiddenSize, lora: adapter, ...deviceInstrumentOptions('wasm') });
  const adapted = (await createDecoder(inst, { device: 'wasm', externalData: [], vocabSize })).withAdapterStrength([1]);
  await generate(adapted, new PrefixCache(), { ids: [promptIds(8, 1)], maxNewTokens: 3 }); // warm-up
  const ids = [promptIds(s.promptTokens, 5)];
  const runs = await interleave(s.reps, {
    plain: () => generate(c.instrumented, new PrefixCache(), { ids, maxNewTokens: s.newTokens }),
    lora: () => generate(adapted, new PrefixCache(), { ids, maxNewTokens: s.newTokens }),
  });
  await adapted.release();
  const r = rates(runs, 'lora', 'plain', clock);
  const target = '>= 0.95';
  return {
    name: 'lora-overhead', ratio: r.ratio, target, pass: check(r.ratio, target), clock,
    summary: `instrumented ${rate(r.den)}, + rank-16 LoRA on q/k/v/o ${rate(r.num)} (${clock} clock)`,
    tokPerSec: r.tokPerSec, perRunTokPerSec: r.perRunTokPerSec,
    adapter: `rank 16, alpha 32, q/k/v/o of ${numLayers} layers, ${adapter.weights.length} branches, strength 1`,
    reps: s.reps, newTokens: s.newTokens, promptTokens: s.promptTokens,
  };
}
