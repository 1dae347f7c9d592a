/**
 * The local judge's plumbing on a scripted engine: prompt format (chat vs raw text), the answer prefix of
 * the digit tree, batching of concurrent trees into waves, and the maths against judge.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Engine, GenerateRequest, GenerateResult, ModelInfo } from '../../../src/engine/shared/api';
import { createLocalJudge, RAW_ANSWER_CUE } from '../../../src/engine/clients/eval/localJudge';
import { scoreFromDigitTree, scoreFromLogprobs, type TopLogprob } from '../../../src/engine/clients/eval/judge';

type Dist = [string, number][];

/** A fake engine whose next-token distribution is a function of the prompt; tokenization splits digits or not. */
function scripted(opts: { splitDigits: boolean; dist: (prompt: string, prefix: string) => Dist }): Engine & { requests: GenerateRequest[] } {
  const requests: GenerateRequest[] = [];
  const info = { id: 'fake', dtype: 'fp32', hasChatTemplate: true, numLayers: 2, hiddenSize: 4 } as ModelInfo;
  const ids = new Map<string, number>();
  const idOf = (t: string) => (ids.has(t) ? ids.get(t)! : (ids.set(t, ids.size), ids.size - 1));
  return {
    requests,
    info: () => info,
    load: async () => info,
    dispose: async () => undefined,
    tokenize: async (p) => ({ ids: typeof p === 'string' ? (opts.splitDigits ? [...p] : [p]).map(idOf) : [0] }),
    generate: async (req): Promise<GenerateResult> => {
      requests.push(req);
      const logprobs = req.rows.map((row) => {
        let prompt: string;
        let prefix = '';
        if (typeof row.prompt === 'string') {
          const at = row.prompt.lastIndexOf(RAW_ANSWER_CUE);
          prompt = row.prompt.slice(0, at);
          prefix = row.prompt.slice(at + RAW_ANSWER_CUE.length);
        } else {
          prompt = `chat:${row.prompt[0].content}`;
          if (row.continueFinal) prefix = row.prompt[1].content;
        }
        return [opts.dist(prompt, prefix).map(([text, p]) => ({ token: idOf(text), text, logprob: Math.log(p) }))];
      });
      return { tokens: [], text: [], promptLengths: [], padLeft: [], captures: {}, prefixReused: false, logprobs };
    },
  };
}

const asTop = (d: Dist): TopLogprob[] => d.map(([token, p]) => ({ token, logprob: Math.log(p) }));

describe('local judge', () => {
  it('single-token numbers: chat format, one batched call, E[k] over number tokens, null below 0.25 mass', async () => {
    const dists: Record<string, Dist> = {
      'chat:a': [['80', 0.5], ['90', 0.3], ['No', 0.2]],
      'chat:b': [[' 40', 0.6], ['40', 0.2], ['x', 0.2]],
      'chat:c': [['7', 0.1], ['hello', 0.9]],
    };
    const eng = scripted({ splitDigits: false, dist: (p) => dists[p] });
    const judge = await createLocalJudge(eng);
    expect(judge.format).toBe('chat');
    expect(judge.digitTree).toBe(false);
    const s = await judge.scoreMany(['a', 'b', 'c']);
    expect(s[0]).toBeCloseTo(scoreFromLogprobs(asTop(dists['chat:a']))!, 10);
    expect(s[1]).toBeCloseTo(40, 10);
    expect(s[2]).toBeNull();
    expect(eng.requests).toHaveLength(1);
    expect(eng.requests[0]).toMatchObject({ maxNewTokens: 1, topLogprobs: 20 });
    expect(eng.requests[0].rows[0].prompt).toEqual([{ role: 'user', content: 'a' }]);
  });

  it('digit-split numbers with a chat template: the answer so far is an open assistant turn', async () => {
    const dist = (prompt: string, prefix: string): Dist => (prefix === '' ? [['4', 0.5], ['9', 0.5]] : [['2', 0.5], ['\n', 0.5]]);
    const eng = scripted({ splitDigits: true, dist: (p, prefix) => dist(p, prefix) });
    const judge = await createLocalJudge(eng, { minBranchProb: 0 });
    expect(judge.format).toBe('chat');
    expect(judge.digitTree).toBe(true);
    const [got] = await judge.scoreMany(['p']);
    expect(got).toBeCloseTo((await scoreFromDigitTree(async (prefix) => asTop(dist('p', prefix)), { minBranchProb: 0 }))!, 10);
    const rows = eng.requests.flatMap((r) => r.rows);
    expect(rows).toContainEqual(expect.objectContaining({ prompt: [{ role: 'user', content: 'p' }, { role: 'assistant', content: '4' }], continueFinal: true, label: expect.stringMatching(/^The judge prompt/) }));
  });

  it('digit-split numbers: raw text with the answer prefix appended; equals the digit-tree maths; waves are batched', async () => {
    // Each prompt has its own first-digit distribution; second steps depend on the prefix.
    const first: Record<string, Dist> = {
      p: [['8', 0.5], ['1', 0.3], ['.', 0.2]],
      q: [['0', 0.4], ['5', 0.4], ['a', 0.2]],
      r: [['z', 0.95], ['3', 0.05]],
    };
    const next = (prefix: string): Dist => (prefix === '10' ? [['0', 0.5], ['!', 0.5]] : prefix === '1' ? [['0', 0.6], [' ', 0.4]] : [['5', 0.7], ['\n', 0.3]]);
    const dist = (prompt: string, prefix: string): Dist => (prefix === '' ? first[prompt] : next(prefix));
    const eng = scripted({ splitDigits: true, dist });
    const judge = await createLocalJudge(eng, { minBranchProb: 0, format: 'raw' });
    expect(judge.format).toBe('raw');
    expect(judge.digitTree).toBe(true);
    const got = await judge.scoreMany(['p', 'q', 'r']);
    for (const [i, p] of ['p', 'q', 'r'].entries()) {
      const want = await scoreFromDigitTree(async (prefix) => asTop(dist(p, prefix)), { minBranchProb: 0 });
      if (want === null) expect(got[i]).toBeNull();
      else expect(got[i]).toBeCloseTo(want, 10);
    }
    expect(got[2]).toBeNull(); // 5% on numbers
    // Rows are the judge prompt + cue + the answer so far.
    const prompts = eng.requests.flatMap((r) => r.rows.map((x) => x.prompt));
    expect(prompts).toContain(`p${RAW_ANSWER_CUE}10`);
    expect(prompts).toContain(`q${RAW_ANSWER_CUE}5`);
    // Three trees, each querying '', then first digits in order, then '10': calls are waves, not queries.
    expect(eng.requests.length).toBeLessThan(prompts.length);
    expect(eng.requests.length).toBeLessThanOrEqual(4);
  });

  it('a failing generate rejects every pending score', async () => {
    const eng = scripted({ splitDigits: false, dist: () => [] });
    eng.generate = async () => { throw new Error('boom'); };
    const judge = await createLocalJudge(eng);
    await expect(judge.scoreMany(['a', 'b'])).rejects.toThrow('boom');
  });
});

describe('local judge options', () => {
  const flat = (): Dist => [['60', 1]];
  it('names itself by model, dtype, format and k; sends k, one token and no eos stop', async () => {
    const eng = scripted({ splitDigits: false, dist: flat });
    const j = await createLocalJudge(eng, { topK: 5, format: 'raw' });
    expect(j.id).toBe('local:fake#fp32#raw#k5');
    expect(await j.scoreMany(['a'])).toEqual([60]);
    expect(eng.requests[0]).toEqual({ rows: [{ prompt: `a${RAW_ANSWER_CUE}`, label: expect.stringMatching(/^The judge prompt/) }], maxNewTokens: 1, topLogprobs: 5, stopAtEos: false });
    expect(j.calls).toBe(1);
    expect(await j.scoreMany([])).toEqual([]);
    expect(j.calls).toBe(1);
    expect((await createLocalJudge(eng)).id).toBe('local:fake#fp32#chat#k20');
  });

  it('splits a wave into generate calls of batchSize rows (1..64)', async () => {
    const eng = scripted({ splitDigits: false, dist: flat });
    const j = await createLocalJudge(eng, { batchSize: 2 });
    expect(await j.scoreMany(['a', 'b', 'c', 'd', 'e'])).toEqual([60, 60, 60, 60, 60]);
    expect(eng.requests.map((r) => r.rows.length)).toEqual([2, 2, 1]);
    const one = scripted({ splitDigits: false, dist: flat });
    await (await createLocalJudge(one, { batchSize: 0 })).scoreMany(['a', 'b']);
    expect(one.requests.map((r) => r.rows.length)).toEqual([1, 1]);
    const big = scripted({ splitDigits: false, dist: flat });
    await (await createLocalJudge(big, { batchSize: 1000 })).scoreMany(Array.from({ length: 70 }, (_, i) => `p${i}`));
    expect(big.requests.map((r) => r.rows.length)).toEqual([64, 6]);
  });

  it('minMass and the chat/raw choice follow the options and the model', async () => {
    const eng = scripted({ splitDigits: false, dist: () => [['40', 0.1], ['x', 0.9]] });
    expect(await (await createLocalJudge(eng)).scoreMany(['a'])).toEqual([null]);
    expect((await (await createLocalJudge(eng, { minMass: 0.05 })).scoreMany(['a']))[0]).toBeCloseTo(40, 10);
    const noTemplate = scripted({ splitDigits: false, dist: flat });
    (noTemplate.info() as { hasChatTemplate: boolean }).hasChatTemplate = false;
    expect((await createLocalJudge(noTemplate)).format).toBe('raw');
    await expect(createLocalJudge(noTemplate, { format: 'chat' })).rejects.toMatchObject({ code: 'bad-input', message: 'This model has no chat template; use the raw-text judge format.' });
    const unloaded = { ...noTemplate, info: () => null };
    await expect(createLocalJudge(unloaded)).rejects.toMatchObject({ code: 'not-loaded', message: 'Load a model before using it as a judge.' });
  });

  it('digit trees skip first digits under minBranchProb (default 0.001)', async () => {
    const eng = scripted({ splitDigits: true, dist: (_p, prefix) => (prefix === '' ? [['4', 0.9995], ['7', 0.0005]] : [['.', 1]]) });
    await (await createLocalJudge(eng)).scoreMany(['p']);
    const prefixes = eng.requests.flatMap((r) => r.rows.map((x) => (Array.isArray(x.prompt) ? (x.prompt[1]?.content ?? '') : x.prompt)));
    expect(prefixes).toEqual(['', '4']);
  });

  it('an engine without log-probabilities is an internal error', async () => {
    const eng = scripted({ splitDigits: false, dist: flat });
    const gen = eng.generate;
    eng.generate = async (req) => ({ ...(await gen(req)), logprobs: undefined });
    await expect((await createLocalJudge(eng)).scoreMany(['a'])).rejects.toMatchObject({ code: 'internal', message: 'The engine returned no log-probabilities for a topLogprobs request.' });
  });
});
