/**
 * Activation capping in the instrumented graph against the float64 reference (tests/fixtures/interventions.ts,
 * written from the maths) on every fixture layout and dtype: a band on its own in one row of a batch whose
 * other row is unsteered, and a cap composed with an add and an ablation at the same layer, over a prefill
 * and a decode pass.
 */
import { describe, expect, it } from 'vitest';
import { fixtureModel, isHalf, VARIANTS, variantName, type FixtureModel } from '../helpers/fixtureModel';
import { relErr, seededIds } from '../helpers/compare';
import { referenceForward } from '../fixtures/reference';
import { referenceIntervention, type RefSpec } from '../fixtures/interventions';
import { resolveSpec, type Positions, type SteeringSpec } from '../../src/engine/shared/steering';
import { byLayer } from '../../src/engine/core/runtime/steerFeeds';
import type { TapName } from '../../src/engine/shared/api';

const PROMPT = seededIds(9, 13, 500);
const NEXT = 42;

/** Prefill over PROMPT then one decode step, for B rows of the same prompt with their own specs. */
async function twoPasses(m: FixtureModel, rows: SteeringSpec[][], taps: TapName[]) {
  const dims = { numLayers: m.cfg.numLayers, hiddenSize: m.cfg.hiddenSize };
  const steering = byLayer(rows.map((specs) => specs.map((s) => resolveSpec(s, dims))));
  const S = PROMPT.length;
  const B = rows.length;
  const mask = rows.map(() => PROMPT.map(() => 1));
  const base = { padLeft: rows.map(() => 0), promptLength: S };
  const pre = await m.decoder.forward({ ids: rows.map(() => PROMPT), mask, positions: rows.map(() => PROMPT.map((_, i) => i)), past: null, steering, pass: { phase: 'prefill', start: 0, length: S, ...base }, taps });
  const dec = await m.decoder.forward({ ids: rows.map(() => [NEXT]), mask: mask.map((r) => [...r, 1]), positions: rows.map(() => [S]), past: pre.present, steering, pass: { phase: 'decode', start: S, length: 1, ...base }, taps });
  /** Row r's tap over all S+1 positions. */
  const joined = (tap: TapName, r: number) => {
    const D = m.cfg.hiddenSize;
    return [...pre.taps[tap].subarray(r * S * D, (r + 1) * S * D), ...dec.taps[tap].subarray(r * D, (r + 1) * D)];
  };
  void B;
  return { joined };
}

const unitVector = (D: number, seed: number) => {
  const v = seededIds(D, seed, 1000).map((x) => x / 500 - 1);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const projections = (xs: number[], u: number[]) => Array.from({ length: xs.length / u.length }, (_, p) => u.reduce((s, x, d) => s + x * xs[p * u.length + d], 0));
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))];

describe.each(VARIANTS.map((v) => [variantName(v), v] as const))('%s', (_name, variant) => {
  const tol = isHalf(variant) ? 2e-2 : 1e-4;

  it.each(['all', 'response'] as Positions[])('a cap in %s mode holds h·u inside its band where it acts, and matches the reference; the unsteered row of the batch is untouched', async (positions) => {
    const m = await fixtureModel(variant);
    const L = 1;
    const D = m.cfg.hiddenSize;
    const post = `blocks.${L}.hook_resid_post` as TapName;
    const last = `blocks.${m.cfg.numLayers - 1}.hook_resid_post` as TapName;
    const u = unitVector(D, 4);
    const base = projections((await twoPasses(m, [[]], [post])).joined(post, 0), u);
    // A band that the un-capped projections cross on both sides.
    const min = quantile(base, 0.25), max = quantile(base, 0.6);
    const cap: SteeringSpec = { kind: 'cap', layer: L, direction: u.map((x) => x * 3), min, max, positions };
    const run = await twoPasses(m, [[cap], []], [post, last]);
    const got = projections(run.joined(post, 0), u);
    const n = PROMPT.length;
    const slack = isHalf(variant) ? 2e-2 * (Math.abs(max) + 1) : 1e-5;
    got.forEach((p, i) => {
      const acts = positions === 'all' || i >= n - 1;
      const want = acts ? Math.min(Math.max(base[i], min), max) : base[i];
      expect(Math.abs(p - want), `position ${i}`).toBeLessThan(slack);
    });
    expect(base.some((p) => p < min) && base.some((p) => p > max)).toBe(true);
    const seq = [...PROMPT, NEXT];
    const ref = referenceForward(m.cfg, m.weights, [seq, seq], [seq.map(() => 1), seq.map(() => 1)], {
      intervene: referenceIntervention([[cap as RefSpec], []], [n, n]),
    });
    const S1 = seq.length;
    for (const [tap, r] of [[post, 0], [last, 0], [last, 1]] as const) {
      expect(relErr(run.joined(tap, r), ref.taps[tap].subarray(r * S1 * D, (r + 1) * S1 * D)), `${tap} row ${r}`).toBeLessThan(tol);
    }
  });

  it('a cap at the same layer as an add and an ablation acts on their result (add and ablation on h, then the cap)', async () => {
    const m = await fixtureModel(variant);
    const L = m.cfg.numLayers - 1;
    const D = m.cfg.hiddenSize;
    const post = `blocks.${L}.hook_resid_post` as TapName;
    const v = unitVector(D, 5), w = unitVector(D, 6);
    // The add pushes h·v up by 4; the cap holds it at 0.5 at most: the result sits at the cap.
    const specs: SteeringSpec[] = [
      { layer: L, vector: v, coeff: 4, positions: 'all' },
      { layer: L, direction: w, ablate: 1, positions: 'all' },
      { kind: 'cap', layer: L, direction: v, max: 0.5 },
    ];
    const run = await twoPasses(m, [specs], [post]);
    const got = projections(run.joined(post, 0), v);
    for (const p of got) expect(p).toBeLessThan(0.5 + (isHalf(variant) ? 3e-2 : 1e-5));
    expect(Math.max(...got)).toBeGreaterThan(0.5 - (isHalf(variant) ? 3e-2 : 1e-5)); // the push reached the cap
    const seq = [...PROMPT, NEXT];
    const ref = referenceForward(m.cfg, m.weights, [seq], [seq.map(() => 1)], { intervene: referenceIntervention([specs as RefSpec[]], [PROMPT.length]) });
    expect(relErr(run.joined(post, 0), ref.taps[post])).toBeLessThan(tol);
  });
});
