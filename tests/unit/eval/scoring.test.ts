/** The Judge seam: labels, the prompts scoreAnswers sends (trait then coherence), answer-reading judges, and the OpenAI adapter's ordering and concurrency. */
import { describe, expect, it } from 'vitest';
import { COHERENCE_TEMPLATE } from '../../../src/engine/clients/eval/judge';
import type { OpenAIJudge } from '../../../src/engine/clients/eval/judgeOpenAI';
import { judgeLabel, judgesCoherence, openAIJudge, scoreAnswers, type Judge } from '../../../src/engine/clients/eval/scoring';

/** TEST-ONLY judge: records every prompt and answers with its position in the call. */
function recording(): Judge & { calls: string[][] } {
  const calls: string[][] = [];
  return { id: 'TEST-ONLY-recording', calls, async scoreMany(prompts) { calls.push(prompts); return prompts.map((_, i) => i); } };
}

const ITEMS = [{ question: 'Q1?', answer: 'A1' }, { question: 'Q2?', answer: 'A2' }];
const TEMPLATE = 'T[{question}|{answer}]';

describe('judgeLabel', () => {
  it('uses the label when given, else names the kind before the colon', () => {
    expect(judgeLabel({ id: 'local:x', label: 'my judge', scoreMany: async () => [] })).toBe('my judge');
    expect(judgeLabel({ id: 'local:qwen#fp32', scoreMany: async () => [] })).toBe('local model');
    expect(judgeLabel({ id: 'openai:https://h/v1#m', scoreMany: async () => [] })).toBe('OpenAI-compatible endpoint');
    expect(judgeLabel({ id: 'lexical:abc:def', scoreMany: async () => [] })).toBe('lexical');
    expect(judgeLabel({ id: 'plain', scoreMany: async () => [] })).toBe('plain');
  });
});

describe('scoreAnswers', () => {
  it('sends every trait prompt, then every coherence prompt, in one call, and pairs the scores back', async () => {
    const j = recording();
    const s = await scoreAnswers(j, TEMPLATE, ITEMS);
    const coh = (q: string, a: string) => COHERENCE_TEMPLATE.replace('{question}', q).replace('{answer}', a);
    expect(j.calls).toEqual([['T[Q1?|A1]', 'T[Q2?|A2]', coh('Q1?', 'A1'), coh('Q2?', 'A2')]]);
    expect(s).toEqual([{ trait: 0, coherence: 2 }, { trait: 1, coherence: 3 }]);
    expect(judgesCoherence(j)).toBe(true);
  });
  it('without coherence sends only the trait prompts; nothing at all for no items', async () => {
    const j = recording();
    expect(await scoreAnswers(j, TEMPLATE, ITEMS, undefined, { coherence: false })).toEqual([{ trait: 0, coherence: null }, { trait: 1, coherence: null }]);
    expect(j.calls).toEqual([['T[Q1?|A1]', 'T[Q2?|A2]']]);
    expect(await scoreAnswers(j, TEMPLATE, [])).toEqual([]);
    expect(j.calls).toHaveLength(1);
  });
  it('an answer-reading judge gets the items themselves and grades no coherence', async () => {
    const seen: unknown[] = [];
    const j: Judge = { id: 'TEST-ONLY-items', scoreMany: async () => { throw new Error('not used'); }, async scoreItems(items) { seen.push(items); return [7, null]; } };
    expect(await scoreAnswers(j, TEMPLATE, ITEMS)).toEqual([{ trait: 7, coherence: null }, { trait: null, coherence: null }]);
    expect(seen).toEqual([ITEMS]);
    expect(judgesCoherence(j)).toBe(false);
  });
});

describe('openAIJudge', () => {
  /** TEST-ONLY endpoint: scores a prompt by its length after a delay, tracking how many requests are in flight. */
  function endpoint(delays: number[]) {
    let inFlight = 0;
    const state = { max: 0, order: [] as string[] };
    const j: OpenAIJudge = {
      baseUrl: 'https://h/v1', model: 'm1',
      topLogprobs: async () => [],
      async score(prompt) {
        inFlight++;
        state.max = Math.max(state.max, inFlight);
        await new Promise((r) => setTimeout(r, delays[state.order.length % delays.length]));
        state.order.push(prompt);
        inFlight--;
        return prompt === 'none' ? null : prompt.length;
      },
      scoreAnswer: async () => null,
      toJSON: () => ({ baseUrl: 'https://h/v1', model: 'm1' }),
    };
    return { j, state };
  }
  it('names the endpoint and model, keeps scores in prompt order, and keeps at most `concurrency` requests in flight', async () => {
    const { j, state } = endpoint([15, 1, 8]);
    const judge = openAIJudge(j, 2);
    expect(judge.id).toBe('openai:https://h/v1#m1');
    expect(judge.label).toBe('OpenAI-compatible (m1)');
    expect(await judge.scoreMany(['a', 'bb', 'none', 'dddd', 'eeeee'])).toEqual([1, 2, null, 4, 5]);
    expect(state.max).toBe(2);
    expect(await judge.scoreMany([])).toEqual([]);
  });
  it('defaults to 4 in flight, and never more workers than prompts', async () => {
    const { j, state } = endpoint([5]);
    expect(await openAIJudge(j).scoreMany(['a', 'b', 'c', 'd', 'e', 'f'])).toEqual([1, 1, 1, 1, 1, 1]);
    expect(state.max).toBe(4);
    const one = endpoint([5]);
    expect(await openAIJudge(one.j, 0).scoreMany(['a', 'b'])).toEqual([1, 1]);
    expect(one.state.max).toBe(1);
  });
});
