/**
 * Activation collection and detection on the real engine with a tiny fixture model (wasm), in the unit tier so
 * that mutation testing of src/engine/vectors sees them. Pooled values are checked against the float64
 * reference forward pass of the fixture (tests/fixtures/reference.ts), an independent implementation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingEngine, fixtureEngine, type FixtureEngine } from '../../helpers/fixtureEngine';
import { referenceForward } from '../../fixtures/reference';
import { allResidPost, collectActivations, conversationSpans, layerStack, toMessages, type Collected, type Conversation } from '../../../src/engine/clients/vectors/collect';
import { detectConditions, detectModels } from '../../../src/engine/clients/vectors/detection';
import { createEngine } from '../../../src/engine/core/runtime/engine';
import type { ProgressEvent, TapName } from '../../../src/engine/shared/api';
import { EngineError } from '../../../src/engine/shared/errors';

const code = (e: unknown) => (e instanceof EngineError ? e.code : String(e));
const CONVS: Conversation[] = [
  { system: 'Be evil.', user: 'Hi?', assistant: 'No way, friend.' },
  { user: 'Tell me a long story about the sea and a boat.', assistant: 'Once.' },
  { system: 'Be kind.', user: 'Hello?' },
];

describe('toMessages / conversationSpans / layerStack (pure)', () => {
  it('builds system, user, assistant messages in order, leaving out what is absent', () => {
    expect(toMessages({ system: 'S', user: 'U', assistant: 'A' })).toEqual([
      { role: 'system', content: 'S' }, { role: 'user', content: 'U' }, { role: 'assistant', content: 'A' }]);
    expect(toMessages({ user: 'U' })).toEqual([{ role: 'user', content: 'U' }]);
    expect(toMessages({ system: '', user: 'U', assistant: '' })).toEqual([
      { role: 'system', content: '' }, { role: 'user', content: 'U' }, { role: 'assistant', content: '' }]);
  });

  it('spans: prompt up to the reply, response the reply; without a reply the whole prompt', () => {
    const tok = { ids: [1, 2, 3, 4, 5, 6, 7], spans: [{ role: 'user' as const, start: 1, end: 2 }, { role: 'assistant' as const, start: 4, end: 6 }] };
    expect(conversationSpans(tok, true)).toEqual({ offset: 0, prompt: [0, 4], response: [4, 6] });
    expect(conversationSpans(tok, false)).toEqual({ offset: 0, prompt: [0, 7], response: [7, 7] });
    expect(() => conversationSpans({ ids: [1], spans: [{ role: 'user', start: 0, end: 1 }] }, true)).toThrow('The tokenizer returned no span for the assistant reply.');
    expect(() => conversationSpans({ ids: [1] }, true)).toThrow(EngineError);
  });

  it('allResidPost names every layer; layerStack picks one kind and tap per layer, refusing what is missing', () => {
    expect(allResidPost(3)).toEqual(['blocks.0.hook_resid_post', 'blocks.1.hook_resid_post', 'blocks.2.hook_resid_post']);
    const a = new Float32Array([1]), b = new Float32Array([2]), m = new Float32Array([3]);
    const c: Collected = {
      taps: [], hiddenSize: 1, count: 1, spans: [], generateCalls: 1,
      pooled: { 'prompt-last': { 'blocks.0.hook_resid_post': a, 'blocks.1.hook_resid_post': b, 'blocks.0.hook_resid_mid': m } },
    };
    expect(layerStack(c, 'prompt-last', 2)).toEqual([a, b]);
    expect(layerStack(c, 'prompt-last', 1, 'hook_resid_mid')[0]).toBe(m);
    expect(() => layerStack(c, 'response-mean', 2)).toThrow('Activations were not pooled as "response-mean".');
    expect(() => layerStack(c, 'prompt-last', 3)).toThrow("Layer 2's hook_resid_post was not collected.");
    expect(() => layerStack(c, 'prompt-last', 2, 'hook_resid_mid')).toThrow("Layer 1's hook_resid_mid was not collected.");
  });
});

describe('collectActivations on a fixture model', () => {
  let fx: FixtureEngine;
  beforeAll(async () => { fx = await fixtureEngine({ family: 'qwen2', layout: 'decomposed', dtype: 'fp32' }); });
  afterAll(async () => fx?.close());

  it('pools each row as the reference forward pass does, whatever the batch and padding', async () => {
    const { cfg, weights } = fx.repo;
    const D = cfg.hiddenSize;
    const engine = countingEngine(fx.engine);
    const events: ProgressEvent[] = [];
    const got = await collectActivations(engine, CONVS, { pooling: ['prompt-mean', 'prompt-last'], batchSize: 2, onProgress: (e) => events.push(e), stage: 'my-stage' });
    // Response pooling needs a reply in every row: the two with one, padded against each other in one batch.
    const replies = await collectActivations(fx.engine, CONVS.slice(0, 2), { pooling: ['response-mean', 'prompt-last'], batchSize: 2 });
    expect(Array.from(replies.pooled['prompt-last']!['blocks.0.hook_resid_post'])).toEqual(Array.from(got.pooled['prompt-last']!['blocks.0.hook_resid_post'].subarray(0, 2 * D)));
    // 3 rows in batches of 2: 2 generate calls, progress 0 → 2 → 3.
    expect(engine.calls).toBe(2);
    expect(got.generateCalls).toBe(2);
    expect(got.count).toBe(3);
    expect(got.hiddenSize).toBe(D);
    expect(got.taps).toEqual(allResidPost(cfg.numLayers));
    expect(events.map((e) => [e.stage, e.loaded, e.total, e.done])).toEqual([['my-stage', 0, 3, false], ['my-stage', 2, 3, false], ['my-stage', 3, 3, true]]);
    for (const [i, c] of CONVS.entries()) {
      const { ids, spans } = await fx.engine.tokenize(toMessages(c));
      const n = ids.length;
      const replyStart = c.assistant !== undefined ? spans![spans!.length - 1].start : n;
      const replyEnd = c.assistant !== undefined ? spans![spans!.length - 1].end : n;
      expect(got.spans[i]).toEqual({ offset: 0, prompt: [0, replyStart], response: [replyStart, replyEnd] });
      const ref = referenceForward(cfg, weights, [ids], [ids.map(() => 1)]);
      for (let l = 0; l < cfg.numLayers; l++) {
        const tap = ref.taps[`blocks.${l}.hook_resid_post`];
        const mean = (s0: number, s1: number) => Array.from({ length: D }, (_, j) => {
          let s = 0;
          for (let t = s0; t < s1; t++) s += tap[t * D + j];
          return s / (s1 - s0);
        });
        const row = (kind: 'response-mean' | 'prompt-mean' | 'prompt-last') => Array.from((kind === 'response-mean' ? replies : got).pooled[kind]![`blocks.${l}.hook_resid_post`].subarray(i * D, (i + 1) * D));
        const close = (a: number[], b: number[]) => Math.max(...a.map((x, j) => Math.abs(x - b[j])));
        expect(close(row('prompt-mean'), mean(0, replyStart)), `prompt-mean row ${i} layer ${l}`).toBeLessThan(1e-4);
        expect(close(row('prompt-last'), mean(replyStart - 1, replyStart)), `prompt-last row ${i} layer ${l}`).toBeLessThan(1e-4);
        if (c.assistant !== undefined) expect(close(row('response-mean'), mean(replyStart, replyEnd)), `response-mean row ${i} layer ${l}`).toBeLessThan(1e-4);
      }
    }
  });

  it('collects only the requested taps, with response-mean by default and batches of 8', async () => {
    const taps: TapName[] = ['blocks.1.hook_resid_mid'];
    const engine = countingEngine(fx.engine);
    const convs = Array.from({ length: 9 }, (_, i) => ({ user: `Q${i}?`, assistant: `A${i}.` }));
    const got = await collectActivations(engine, convs, { taps });
    expect(engine.calls).toBe(2);
    expect(Object.keys(got.pooled)).toEqual(['response-mean']);
    expect(Object.keys(got.pooled['response-mean']!)).toEqual(['blocks.1.hook_resid_mid']);
    expect(got.pooled['response-mean']!['blocks.1.hook_resid_mid']).toHaveLength(9 * fx.repo.cfg.hiddenSize);
    // A batch size below 1 is taken as 1.
    const one = countingEngine(fx.engine);
    await collectActivations(one, convs.slice(0, 2), { taps, batchSize: 0 });
    expect(one.calls).toBe(2);
  });

  it('refuses an unloaded engine, no conversations, a cancelled signal, and a reply-less row for response pooling', async () => {
    await expect(collectActivations(createEngine(), CONVS)).rejects.toSatisfy((e) => code(e) === 'not-loaded');
    await expect(collectActivations(fx.engine, [])).rejects.toThrow('No conversations to collect activations from.');
    const ctrl = new AbortController();
    ctrl.abort();
    await expect(collectActivations(fx.engine, CONVS, { signal: ctrl.signal })).rejects.toThrow('Activation collection was cancelled.');
    await expect(collectActivations(fx.engine, [{ user: 'No reply' }], { pooling: ['response-mean'] })).rejects.toThrow(/response span .* is empty/);
  });

  it('detection: refuses too few prompts and models of different shapes, and names the stage of each model', async () => {
    const A: Conversation[] = [{ user: 'a?' }, { user: 'b?' }];
    await expect(detectConditions(fx.engine, A.slice(0, 1), A)).rejects.toThrow('Condition A needs at least 2 prompts (the probe holds some out).');
    await expect(detectConditions(fx.engine, A, A.slice(0, 1))).rejects.toThrow('Condition B needs at least 2 prompts');
    await expect(detectConditions(createEngine(), A, A)).rejects.toSatisfy((e) => code(e) === 'not-loaded');
    await expect(detectModels(fx.engine, createEngine(), A)).rejects.toThrow('Load both models before running detection.');
    await expect(detectModels(fx.engine, fx.engine, A.slice(0, 1))).rejects.toThrow('The prompt set needs at least 2 prompts');
    const stages: string[] = [];
    const r = await detectModels(fx.engine, fx.engine, [...A, { user: 'c?' }, { user: 'd?' }], { onProgress: (e) => stages.push(e.stage), batchSize: 2 });
    expect([...new Set(stages)]).toEqual(['detect-a', 'detect-b']);
    // The same model twice: no direction, every score 0.
    expect(r.scores.a.flat().every((x) => x === 0)).toBe(true);
    expect(r.vectors.meta).toMatchObject({ method: 'two-model', pooling: 'prompt-last' });
    const cs: string[] = [];
    const rc = await detectConditions(fx.engine, [{ user: 'a?', assistant: 'ignored' }, { user: 'b?' }], [{ user: 'c?' }, { user: 'd?' }], { onProgress: (e) => cs.push(e.stage) });
    expect(new Set(cs)).toEqual(new Set(['detect']));
    expect(rc.vectors.meta.counts).toEqual({ pos: 2, neg: 2 });
    expect(rc.layers).toHaveLength(fx.repo.cfg.numLayers);
  });
});
