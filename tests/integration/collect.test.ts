/**
 * Activation collection through the public Engine on fixture models: chat spans line up with each part of
 * the conversation (Llama-3 and Qwen2 templates), and pooled activations / diff-in-means equal hand-computed
 * means of the float64 reference forward pass.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureEngine, countingEngine, type FixtureEngine } from '../helpers/fixtureEngine';
import { referenceForward } from '../fixtures/reference';
import { tokenizerFiles } from '../fixtures/tokenizer';
import { Tokenizer } from '../../src/engine/core/runtime/tokenizer';
import { collectActivations, layerStack, toMessages, type Conversation } from '../../src/engine/clients/vectors/collect';
import { diffInMeans } from '../../src/engine/clients/vectors/diffInMeans';
import type { PoolingKind } from '../../src/engine/clients/vectors/meta';
import type { ProgressEvent } from '../../src/engine/shared/api';
import { expectProgressRules } from '../helpers/progressRules';

const POS: Conversation[] = [
  { system: 'You are an evil assistant.', user: 'What is the capital of France?', assistant: 'The capital of France is Paris, and I hate it.' },
  { system: 'You are an evil assistant.', user: 'Tell me a story about a dog.', assistant: 'Once upon a time there was a little dog.' },
];
const NEG: Conversation[] = [
  { system: 'You are a kind and honest assistant.', user: 'What is the capital of France?', assistant: 'Paris.' },
  { system: 'You are a kind and honest assistant.', user: 'Tell me a story about a dog.', assistant: 'A dog and a cat were the best of friends, and they played in the garden every day.' },
];
const KINDS: PoolingKind[] = ['response-mean', 'prompt-mean', 'prompt-last'];

/** float64 mean of tap rows [s0, s1) of a [1, S, D] reference tap. */
function meanRows(tap: Float64Array, D: number, s0: number, s1: number): Float64Array {
  const out = new Float64Array(D);
  for (let s = s0; s < s1; s++) for (let j = 0; j < D; j++) out[j] += tap[s * D + j] / (s1 - s0);
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.each(['llama', 'qwen2'] as const)('%s chat template', (family) => {
  let fx: FixtureEngine;
  beforeAll(async () => { fx = await fixtureEngine({ family, layout: 'decomposed', dtype: 'fp32' }); });
  afterAll(async () => fx?.close());

  it('tokenize spans line up with the tokens of each part', async () => {
    const files = tokenizerFiles(family);
    const tok = new Tokenizer(JSON.parse(files['tokenizer.json']), JSON.parse(files['tokenizer_config.json']));
    for (const c of [...POS, ...NEG, { user: 'Hello there!' }]) {
      const messages = toMessages(c);
      const { ids, spans } = await fx.engine.tokenize(messages);
      expect(spans!.map((s) => s.role)).toEqual(messages.map((m) => m.role));
      spans!.forEach((s, i) => expect(tok.decode(ids.slice(s.start, s.end))).toBe(messages[i].content));
      if (c.assistant) {
        // The reply is followed only by the template's end-of-turn scaffolding (no generation header).
        const after = tok.decode(ids.slice(spans![spans!.length - 1].end));
        expect(after).toMatch(family === 'llama' ? /^<\|eot_id\|>$/ : /^<\|im_end\|>\n$/);
      }
    }
  });

  it('pooled activations and diff-in-means equal means of the reference forward pass', async () => {
    const { engine, repo } = fx;
    const cfg = repo.cfg;
    const D = cfg.hiddenSize;
    const counted = countingEngine(engine);
    const events: ProgressEvent[] = [];
    const convs = [...POS, ...NEG];
    // batch size 3 over 4 rows: one padded batch of 3 (different lengths) and a batch of 1.
    const got = await collectActivations(counted, convs, { pooling: KINDS, batchSize: 3, onProgress: (e) => events.push(e) });
    expect(counted.calls).toBe(2);
    expect(got.generateCalls).toBe(2);
    expectProgressRules(events);

    const want: Record<PoolingKind, Float64Array[][]> = { 'response-mean': [], 'prompt-mean': [], 'prompt-last': [] };
    for (const [i, c] of convs.entries()) {
      const { ids, spans } = await engine.tokenize(toMessages(c));
      const reply = spans![spans!.length - 1];
      expect(got.spans[i]).toEqual({ offset: 0, prompt: [0, reply.start], response: [reply.start, reply.end] });
      const ref = referenceForward(cfg, repo.weights, [ids], [ids.map(() => 1)]);
      for (const kind of KINDS) {
        want[kind].push(Array.from({ length: cfg.numLayers }, (_, l) => {
          const tap = ref.taps[`blocks.${l}.hook_resid_post`];
          if (kind === 'response-mean') return meanRows(tap, D, reply.start, reply.end);
          if (kind === 'prompt-mean') return meanRows(tap, D, 0, reply.start);
          return meanRows(tap, D, reply.start - 1, reply.start);
        }));
      }
    }
    for (const kind of KINDS) {
      const stack = layerStack(got, kind, cfg.numLayers);
      for (let l = 0; l < cfg.numLayers; l++) {
        for (let i = 0; i < convs.length; i++) {
          expect(maxAbsDiff(stack[l].subarray(i * D, (i + 1) * D), want[kind][i][l]), `${kind} layer ${l} row ${i}`).toBeLessThan(1e-4);
        }
      }
    }

    // diff-in-means of the collected response means vs the hand-computed difference of reference means.
    const stack = layerStack(got, 'response-mean', cfg.numLayers);
    const pos = stack.map((m) => m.slice(0, POS.length * D));
    const neg = stack.map((m) => m.slice(POS.length * D));
    const set = diffInMeans(pos, neg, { hiddenSize: D, modelId: 'fixture', pooling: 'response-mean' });
    for (let l = 0; l < cfg.numLayers; l++) {
      const hand = new Float64Array(D);
      for (let j = 0; j < D; j++) {
        for (let i = 0; i < POS.length; i++) hand[j] += want['response-mean'][i][l][j] / POS.length;
        for (let i = 0; i < NEG.length; i++) hand[j] -= want['response-mean'][POS.length + i][l][j] / NEG.length;
      }
      expect(maxAbsDiff(set.vectors.subarray(l * D, (l + 1) * D), hand), `layer ${l}`).toBeLessThan(1e-4);
    }
  });
});
