/**
 * Conditional steering (interventions/condition.ts) through the public engine against the float64
 * reference: each row's condition score is the reference's pooled projection of its prompt (with the
 * row's ungated specs applied), the gated add applies exactly on the rows whose score passes the
 * threshold, and one batch holds fired, unfired and ungated rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureEngine, type FixtureEngine } from '../helpers/fixtureEngine';
import { referenceForward, referenceGreedy } from '../fixtures/reference';
import { applyReference, type RefSpec } from '../fixtures/interventions';
import { seededIds } from '../helpers/compare';
import { percentile, projectPrompts } from '../../src/engine/clients/vectors/thresholds';
import type { Pooling, SteeringSpec } from '../../src/engine/shared/steering';

const wave = (D: number, k: number) => Array.from({ length: D }, (_, i) => Math.sin(0.7 * i * k + k));
const PROMPTS = ['The sea is wide and deep', 'Tell me a story', 'Why is the sky blue?', 'A'];

describe.each(['mean', 'last'] as Pooling[])('a gated add with %s pooling', (pooling) => {
  let fx: FixtureEngine;
  beforeAll(async () => { fx = await fixtureEngine({ layout: 'decomposed', dtype: 'fp32' }); });
  afterAll(async () => { await fx?.close(); });

  it('projectPrompts reads the same pooled projections as the reference, and its per-token distribution gives the percentiles', async () => {
    const { cfg, weights } = fx.repo;
    const D = cfg.hiddenSize;
    const w = wave(D, 2);
    const wn = Math.hypot(...w);
    const got = await projectPrompts(fx.engine, PROMPTS, 1, w, pooling);
    const tokens: number[] = [];
    const want = await Promise.all(PROMPTS.map(async (p) => {
      const seq = (await fx.engine.tokenize(p)).ids;
      const t = referenceForward(cfg, weights, [seq], [seq.map(() => 1)]).taps['blocks.1.hook_resid_post'];
      const proj = seq.map((_, q) => w.reduce((s, x, d) => s + (x / wn) * t[q * D + d], 0));
      tokens.push(...proj);
      return pooling === 'last' ? proj[proj.length - 1] : proj.reduce((a, b) => a + b, 0) / proj.length;
    }));
    got.scores.forEach((x, r) => expect(Math.abs(x - want[r])).toBeLessThan(1e-4 * (1 + Math.abs(want[r]))));
    expect(got.tokens).toHaveLength(tokens.length);
    const sorted = [...tokens].sort((a, b) => a - b);
    expect(percentile(got.tokens, 100)).toBeCloseTo(sorted[sorted.length - 1], 4);
    expect(percentile(got.tokens, 0)).toBeCloseTo(sorted[0], 4);
  });

  it('fires on the rows whose prompt projection passes the threshold, and generates as the reference does', async () => {
    const { cfg, weights } = fx.repo;
    const D = cfg.hiddenSize;
    const C = 1; // condition layer
    const w = wave(D, 2);
    const wn = Math.hypot(...w);
    const ablation: RefSpec = { layer: 0, direction: seededIds(D, 3, 100).map((x) => x - 50), ablate: 1, positions: 'all' };
    const ids = await Promise.all(PROMPTS.map(async (p) => (await fx.engine.tokenize(p)).ids));
    // Independent scores: the reference's layer-C residual of each prompt (row 0 with its ablation).
    const scores = ids.map((seq, r) => {
      const ref = referenceForward(cfg, weights, [seq], [seq.map(() => 1)], { intervene: (l, _b, pos, h) => applyReference(r === 0 ? [ablation] : [], l, pos, seq.length, h) });
      const t = ref.taps[`blocks.${C}.hook_resid_post`];
      const proj = (p: number) => w.reduce((s, x, d) => s + (x / wn) * t[p * D + d], 0);
      return pooling === 'last' ? proj(seq.length - 1) : seq.reduce((s, _, p) => s + proj(p), 0) / seq.length;
    });
    // A threshold between the scores, so some rows fire and some do not.
    const sorted = [...scores].sort((a, b) => a - b);
    const threshold = (sorted[1] + sorted[2]) / 2;
    const v = wave(D, 5);
    const gatedAdd = { layer: 2, vector: v, coeff: 6, positions: 'all' as const, when: { layer: C, direction: w, threshold, pooling } };
    const rows: SteeringSpec[][] = PROMPTS.map((_, r) => (r === 0 ? [ablation as SteeringSpec, gatedAdd] : [gatedAdd]));
    // A fifth row with a plain add: ungated rows are steered whatever the others' conditions say.
    rows.push([{ layer: 2, vector: v, coeff: 6, positions: 'all' }]);
    const res = await fx.engine.generate({ rows: [...PROMPTS, PROMPTS[1]].map((prompt, r) => ({ prompt, steering: rows[r] })), maxNewTokens: 6, stopAtEos: false });
    const fired = scores.map((s) => s > threshold);
    expect(fired.filter(Boolean).length).toBe(2);
    res.conditions!.slice(0, 4).forEach((outs, r) => {
      expect(outs).toHaveLength(1);
      expect(outs[0].spec).toBe(r === 0 ? 1 : 0);
      expect(outs[0].fired).toBe(fired[r]);
      expect(Math.abs(outs[0].projection - scores[r])).toBeLessThan(1e-4 * (1 + Math.abs(scores[r])));
    });
    expect(res.conditions![4]).toEqual([]);
    const applied = (r: number): RefSpec[] => [...(r === 0 ? [ablation] : []), ...(r === 4 || fired[r] ? [{ layer: 2, vector: v, coeff: 6, positions: 'all' as const }] : [])];
    [...ids, ids[1]].forEach((seq, r) => {
      const want = referenceGreedy(cfg, weights, seq, 6, { intervene: (l, _b, pos, h) => applyReference(applied(r), l, pos, seq.length, h) });
      expect(res.tokens[r], `row ${r}`).toEqual(want);
    });
    // The gated add changes what the fired rows say (else this test could not tell gating from ignoring).
    const plain = await fx.engine.generate({ rows: PROMPTS.map((prompt, r) => ({ prompt, steering: r === 0 ? [ablation as SteeringSpec] : [] })), maxNewTokens: 6, stopAtEos: false });
    fired.forEach((f, r) => (f ? expect(res.tokens[r]).not.toEqual(plain.tokens[r]) : expect(res.tokens[r]).toEqual(plain.tokens[r])));
  });
});
