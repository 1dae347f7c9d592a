/**
 * Slider drafts on the trained demo model: dragging the coefficient as the lab does (BaselineKeeper plans each
 * move; the steered row runs alone with the previous position's tokens as its draft). Every move must give the
 * tokens a run without a draft gives, and the share of drafted tokens kept is what a move saves on wasm (one
 * decode pass per kept token; bench/README.md slider-steered-only).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaselineKeeper, type PairInput } from '../../src/app/baseline';
import { initialState } from '../../src/app/store';
import { splitPrompts } from '../../src/app/quickContrast';
import { addAt, demoEngine, quickContrastVector, type DemoEngine } from './demo';

describe('slider drafts on the demo model', () => {
  let demo: DemoEngine;
  beforeAll(async () => { demo = await demoEngine(); });
  afterAll(async () => { await demo?.close(); });

  it('a drag from 0 to +3 gives each position the tokens it has without a draft, and keeps the drafted tokens that still hold', async () => {
    const { engine } = demo;
    const q = await quickContrastVector(engine, splitPrompts(initialState.contrastPos), splitPrompts(initialState.contrastNeg));
    const prompt = [{ role: 'system' as const, content: initialState.systemPrompt }, { role: 'user' as const, content: initialState.prompt }];
    const at = (coeff: number): PairInput => ({
      modelKey: 'demo', prompt, steering: addAt(q.layer, q.vector, coeff), sampling: { temperature: initialState.temperature, seed: initialState.seed }, maxNewTokens: initialState.maxTokens,
    });
    const keeper = new BaselineKeeper();
    const first = keeper.plan(at(0));
    keeper.keep(first, await engine.generate(first.request));
    let kept = 0;
    let drafted = 0;
    const perMove: string[] = [];
    for (let c = 0.25; c <= 3; c += 0.25) {
      const plan = keeper.plan(at(c));
      const draft = plan.request.rows[0].draft!;
      expect(draft).toBeDefined();
      const moved = await engine.generate(plan.request);
      keeper.keep(plan, moved);
      const alone = await engine.generate({ ...plan.request, rows: [{ prompt, steering: at(c).steering }] });
      expect(moved.tokens[0], `c = ${c}`).toEqual(alone.tokens[0]);
      expect(alone.draftKept).toBeUndefined();
      const usable = Math.min(draft.length, initialState.maxTokens - 1);
      kept += moved.draftKept![0];
      drafted += usable;
      perMove.push(`${c}: ${moved.draftKept![0]}/${usable}`);
    }
    // Measured: 105/350 kept; 20 of 21 per move while the text holds (c ≤ 1.25), 0–7 once it turns to the
    // scripture register and each position rewrites it early (c ≥ 1.5).
    console.log(`demo model, drag 0 → 3 by 0.25 (${initialState.maxTokens} tokens, greedy): drafted tokens kept ${kept}/${drafted}; per move ${perMove.join(', ')}`);
    expect(kept).toBeGreaterThan(0);
  });
});
