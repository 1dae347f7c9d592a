/**
 * The device-parity requests and their measure, shared by the Chromium harness (parity.webgpu.test.ts)
 * and the Node-on-Dawn run for real GPUs (bench/gpu): the same JSON requests on both devices, compared
 * with each other and with the float64 reference forward pass, row by row and position by position.
 */
import { applyReference } from '../fixtures/interventions';
import { referenceForward, type Intervene } from '../fixtures/reference';
import type { FixtureConfig, Weights } from '../fixtures/spec';
import { relErr } from '../helpers/compare';
import type { JsonRequest } from './engine-page/main';
import type { RepoSpec, RunResult } from './enginePage';

export const PARITY_REPOS: Record<string, RepoSpec> = {
  'parity/qwen-decomposed': { family: 'qwen2', layout: 'decomposed', dtype: 'fp32', extra: ['q4'] },
  'parity/llama-mha': { family: 'llama', layout: 'builder', attention: 'mha', dtype: 'fp32', extra: ['q4'] },
  'parity/llama-gqa': { family: 'llama', layout: 'builder', attention: 'gqa', dtype: 'fp32', extra: ['q4'] },
};
const TOKENS = 24;
export const LONG = 'One prompt long enough to need several WebGPU prefill passes: the quick brown fox jumps over the lazy dog, twice, then rests by the river bank until dusk.';

export const wave = (D: number, k: number) => Array.from({ length: D }, (_, i) => Math.sin(0.7 * i * k + k));

const tapsOf = (L: number) => ['hook_embed', ...Array.from({ length: L }, (_, l) => [`blocks.${l}.hook_resid_mid`, `blocks.${l}.hook_resid_post`]).flat()] as JsonRequest['captures'];

/** The requests of the harness, built from the model's sizes only (so both devices get identical JSON). */
export function parityRequests(D: number, L: number): JsonRequest[] {
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

export interface ParityFigures {
  /** Greedy tokens equal on both devices. */
  sameTokens: boolean;
  /** Worst relative error (L2, per row and tap) between the devices' captures. */
  worstDev: number;
  /** Worst relative error of either device's captures against the float64 reference. */
  worstRef: number;
  /** Worst relative error between the devices' monitor projections (0 without a monitor). */
  worstProjection: number;
}

/**
 * Compares one request's results on two devices (`a`, `b`) with each other and with the reference
 * forward pass over the tokens `a` produced. `merged` gives row r's weights (a LoRA blend; default `weights`).
 */
export function measureParity(cfg: FixtureConfig, weights: Weights, req: JsonRequest, a: RunResult, b: RunResult, merged: (r: number) => Weights = () => weights): ParityFigures {
  let worstDev = 0, worstRef = 0, worstProjection = 0;
  req.rows.forEach((row, r) => {
    const seq = [...a.ids[r], ...a.tokens[r]];
    const ref = referenceForward(cfg, merged(r), [seq], [seq.map(() => 1)], { intervene: intervention(row.steering ?? [], a.ids[r].length) });
    for (const tap of req.captures ?? []) {
      const ga = rowSlice(a, tap, r), wb = rowSlice(b, tap, r);
      const want = Array.from(ref.taps[tap].subarray(0, ga.length));
      worstDev = Math.max(worstDev, relErr(ga, wb));
      worstRef = Math.max(worstRef, relErr(ga, want), relErr(wb, want));
    }
    if (req.monitor) worstProjection = Math.max(worstProjection, relErr(a.projections![r], b.projections![r]));
  });
  return { sameTokens: JSON.stringify(a.tokens) === JSON.stringify(b.tokens), worstDev, worstRef, worstProjection };
}
