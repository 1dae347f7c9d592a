/** Edges of the eval plumbing: the step cache's encoding and stores, judge maths at its limits, trait-pack messages. */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cachedStep, canonicalJson, createFileStore, createMemoryStore, fromPlain, stableHash, stepKey, toPlain } from '../../../src/engine/clients/eval/cache';
import { digitTreeDistribution, expectedScore, numberDistribution, scoreFromDigitTree, scoreFromLogprobs, tokenAsScore } from '../../../src/engine/clients/eval/judge';
import { parseTraitPack, validateTraitPack, isPersonaShape } from '../../../src/engine/clients/eval/traitPack';
import { scoreAnswers, openAIJudge, type Judge } from '../../../src/engine/clients/eval/scoring';

describe('step cache encoding', () => {
  it('stableHash is the SHA-256 (node:crypto) of the canonical JSON', async () => {
    const v = { b: [1, -0, NaN], a: new Float32Array([1.5]), c: undefined, d: 'x' };
    const json = canonicalJson(v);
    expect(json).toBe('{"a":{"$typed":"Float32Array","b64":"AADAPw=="},"b":[1,{"$num":"-0"},{"$num":"NaN"}],"d":"x"}');
    expect(await stableHash(v)).toBe(createHash('sha256').update(json).digest('hex'));
    expect(await stepKey('gen', v)).toBe(`gen-${createHash('sha256').update(json).digest('hex')}`);
  });

  it('encodes every supported value and refuses the rest by name', () => {
    expect(toPlain(Infinity)).toEqual({ $num: 'Infinity' });
    expect(toPlain(-Infinity)).toEqual({ $num: '-Infinity' });
    expect(toPlain(0)).toBe(0);
    expect(toPlain([undefined, null, true])).toEqual([null, null, true]);
    expect(toPlain(Object.create(null))).toEqual({});
    // Only a typed array's own window is encoded.
    const buf = new Uint8Array([1, 2, 3, 4, 5, 6]);
    expect(toPlain(buf.subarray(2, 4))).toEqual({ $typed: 'Uint8Array', b64: Buffer.from([3, 4]).toString('base64') });
    expect(() => toPlain(new BigInt64Array(1))).toThrow('Cannot cache a BigInt64Array.');
    expect(() => toPlain(new Map())).toThrow('Cannot cache a Map; use plain objects and arrays.');
    expect(() => toPlain(new Date(0))).toThrow('Cannot cache a Date; use plain objects and arrays.');
    expect(() => toPlain(() => 1)).toThrow('Cannot cache a value of type function.');
    expect(() => toPlain(undefined)).toThrow('Cannot cache a value of type undefined.');
    expect(() => toPlain(new DataView(new ArrayBuffer(1)))).toThrow(/Cannot cache a DataView/);
  });

  it('decodes tags only where they are the whole object, and refuses unknown array types', () => {
    expect(fromPlain({ $num: 'Infinity' })).toBe(Infinity);
    expect(Object.is(fromPlain({ $num: '-0' }), -0)).toBe(true);
    expect(fromPlain({ $num: 'NaN' })).toBeNaN();
    expect(fromPlain({ $num: 'x', other: 1 })).toEqual({ $num: 'x', other: 1 });
    expect(fromPlain({ $num: 5 })).toEqual({ $num: 5 });
    expect(fromPlain({ $typed: 'Int16Array', b64: 'AQD//w==', x: 1 })).toEqual({ $typed: 'Int16Array', b64: 'AQD//w==', x: 1 });
    expect(Array.from(fromPlain({ $typed: 'Int16Array', b64: 'AQD//w==' }) as Int16Array)).toEqual([1, -1]);
    expect(() => fromPlain({ $typed: 'Foo', b64: '' })).toThrow('Unknown cached array type Foo.');
    expect(fromPlain([{ a: [{ $num: '-Infinity' }] }])).toEqual([{ a: [-Infinity] }]);
  });

  it('the memory store hands out copies and cachedStep computes only on a miss', async () => {
    const s = createMemoryStore();
    expect(await s.has('k')).toBe(false);
    expect(await s.get('k')).toBeUndefined();
    await s.set('k', { xs: [1, 2] });
    const got = (await s.get('k')) as { xs: number[] };
    got.xs.push(3);
    expect(await s.get('k')).toEqual({ xs: [1, 2] });
    expect(await s.has('k')).toBe(true);
    let runs = 0;
    const compute = async () => { runs++; return 'v'; };
    expect(await cachedStep(s, 'step', { a: 1 }, compute)).toBe('v');
    expect(await cachedStep(s, 'step', { a: 1 }, compute)).toBe('v');
    expect(await cachedStep(s, 'other', { a: 1 }, compute)).toBe('v');
    expect(runs).toBe(2);
    expect(await s.has(await stepKey('step', { a: 1 }))).toBe(true);
  });

  it('the file store names safe keys as given, hashes the rest, and leaves no temporary files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'step-store-'));
    try {
      const s = createFileStore(join(dir, 'sub'));
      expect(await s.get('missing')).toBeUndefined();
      expect(await s.has('missing')).toBe(false);
      await s.set('safe-key_1.x', [1]);
      await s.set('../escape', 2);
      await s.set('.hidden', 3);
      await s.set('x'.repeat(201), 4);
      const files = (await readdir(join(dir, 'sub'))).sort();
      const h = (k: string) => `h-${createHash('sha256').update(JSON.stringify(k)).digest('hex')}.json`;
      expect(files).toEqual(['safe-key_1.x.json', h('../escape'), h('.hidden'), h('x'.repeat(201))].sort());
      expect(await s.get('../escape')).toBe(2);
      expect(await s.has('.hidden')).toBe(true);
      expect(await createFileStore(join(dir, 'sub')).get('safe-key_1.x')).toEqual([1]);
      await s.set('safe-key_1.x', [5]);
      expect(await s.get('safe-key_1.x')).toEqual([5]);
      // A directory where a file should be is an error, not a miss.
      await createFileStore(join(dir, 'sub', 'safe-key_2.json')).set('k', 1);
      await expect(s.get('safe-key_2')).rejects.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('judge maths at its limits', () => {
  const lp = (xs: [string, number][]) => xs.map(([token, p]) => ({ token, logprob: Math.log(p) }));
  it('tokens and mass', () => {
    expect(tokenAsScore('0')).toBe(0);
    expect(tokenAsScore('007')).toBe(7);
    expect(tokenAsScore('1000')).toBeNull();
    expect(tokenAsScore('')).toBeNull();
    expect(tokenAsScore('\n42\t')).toBe(42);
    const d = numberDistribution([...lp([[' 85', 0.2], ['85', 0.1], ['x', 0.5]]), { token: '3', logprob: -Infinity }, { token: '4', logprob: NaN }]);
    expect(d.p.get(85)).toBeCloseTo(0.3, 12);
    expect(d.p.has(3)).toBe(false);
    expect(d.p.has(4)).toBe(false);
    expect(d.mass).toBeCloseTo(0.3, 12);
    expect(expectedScore({ p: new Map(), mass: 0 }, 0)).toBeNull();
    expect(expectedScore({ p: new Map([[10, 0.1]]), mass: 0.1 }, 0.1)).toBeCloseTo(10, 12);
    expect(expectedScore({ p: new Map([[10, 0.1]]), mass: 0.1 })).toBeNull();
    expect(scoreFromLogprobs(lp([['20', 0.1], ['x', 0.9]]), 0.05)).toBeCloseTo(20, 12);
  });

  it('digit tree: minBranchProb skips unlikely first digits, dead ends and multi-digit pieces count as nothing', async () => {
    const calls: string[] = [];
    const get = async (prefix: string) => {
      calls.push(prefix);
      if (prefix === '') return lp([['9', 0.6], ['2', 0.05], ['12', 0.2], ['x', 0.15]]);
      if (prefix === '9') return lp([['5', 0.5], ['.', 0.5]]);
      return lp([['.', 1]]);
    };
    const d = await digitTreeDistribution(get, { minBranchProb: 0.1 });
    expect(calls).toEqual(['', '9']);
    expect(d.p.get(95)).toBeCloseTo(0.3, 12);
    expect(d.p.get(9)).toBeCloseTo(0.3, 12);
    expect(d.p.has(2)).toBe(false);
    expect(d.mass).toBeCloseTo(0.6, 12);
    expect(await scoreFromDigitTree(get, { minBranchProb: 0.1 })).toBeCloseTo((95 * 0.3 + 9 * 0.3) / 0.6, 10);
    // A second step with no usable mass drops that branch.
    const empty = await digitTreeDistribution(async (p) => (p === '' ? lp([['4', 1]]) : []));
    expect(empty.mass).toBe(0);
    expect(await scoreFromDigitTree(async (p) => (p === '' ? lp([['4', 1]]) : []))).toBeNull();
    // After "10" with no usable mass, neither 10 nor 100.
    const ten = await digitTreeDistribution(async (p) => (p === '' ? lp([['1', 1]]) : p === '1' ? lp([['0', 1]]) : []));
    expect(ten.mass).toBe(0);
    expect(await scoreFromDigitTree(async (p) => (p === '' ? lp([['5', 0.2], ['a', 0.8]]) : lp([['.', 1]])), { minMass: 0.1 })).toBeCloseTo(5, 12);
  });
});

describe('scoring seam', () => {
  it('scoreAnswers sends trait then coherence prompts in one call, and nothing for no items', async () => {
    const seen: string[][] = [];
    const judge: Judge = { id: 'TEST-ONLY', scoreMany: async (p) => { seen.push(p); return p.map((_, i) => i); } };
    expect(await scoreAnswers(judge, 'T {question} {answer}', [])).toEqual([]);
    expect(seen).toHaveLength(0);
    const r = await scoreAnswers(judge, 'T {question} {answer}', [{ question: 'q1', answer: 'a1' }, { question: 'q2', answer: 'a2' }]);
    expect(r).toEqual([{ trait: 0, coherence: 2 }, { trait: 1, coherence: 3 }]);
    expect(seen[0].slice(0, 2)).toEqual(['T q1 a1', 'T q2 a2']);
    expect(seen[0]).toHaveLength(4);
    expect(await scoreAnswers(judge, 'T {question} {answer}', [{ question: 'q', answer: 'a' }], undefined, { coherence: false })).toEqual([{ trait: 0, coherence: null }]);
  });

  it('openAIJudge scores every prompt in order with a bounded number in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const fake = {
      baseUrl: 'http://127.0.0.1:1/v1', model: 'm',
      score: async (prompt: string) => {
        inFlight++; peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 2));
        inFlight--;
        return Number(prompt);
      },
    };
    const j = openAIJudge(fake as never, 3);
    expect(j.id).toBe('openai:http://127.0.0.1:1/v1#m');
    expect(await j.scoreMany(['1', '2', '3', '4', '5', '6', '7'])).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(3);
    peak = 0;
    expect(await openAIJudge(fake as never, 0).scoreMany(['8', '9'])).toEqual([8, 9]);
    expect(peak).toBe(1);
    expect(await openAIJudge(fake as never).scoreMany([])).toEqual([]);
  });
});

describe('trait pack messages', () => {
  const ours = { name: 'n', description: '', instructions: [{ pos: 'p', neg: 'q' }], extractionQuestions: ['a'], evaluationQuestions: ['b'], evalPrompt: '{question} {answer}' };
  const errs = (x: unknown) => { const r = validateTraitPack(x); return r.ok ? [] : r.errors; };
  it('describes each kind of problem in plain words', () => {
    expect(errs({ ...ours, name: 5 })).toEqual(['name: must be a string']);
    expect(errs({ ...ours, instructions: {} })).toEqual(['instructions: must be a list']);
    expect(errs({ ...ours, instructions: ['x'] })).toEqual(['instructions[0]: must be an object']);
    expect(errs({ ...ours, instructions: [{ pos: 'p', neg: 'q', x: 1 }] })).toEqual(['instructions[0].x: is not a known field']);
    expect(errs({ ...ours, instructions: [] })).toEqual(['instructions: must have at least 1 entry']);
    expect(errs({ ...ours, evaluationQuestions: [' '] })).toEqual(['evaluationQuestions[0]: must be a non-empty string']);
    expect(errs({ ...ours, evalPrompt: '{answer}' })).toEqual(['evalPrompt: must contain the {question} slot']);
    expect(errs({ ...ours, evalPrompt: '{question}' })).toEqual(['evalPrompt: must contain the {answer} slot']);
    expect(errs({ instruction: [{ pos: 'p', neg: 'q' }], questions: ['only one'], eval_prompt: '{question}{answer}' })).toEqual(['questions: must have at least 2 entries']);
    expect(errs(null)).toEqual(['(pack): must be an object']);
    expect(errs({ ...ours, 'a/b': 1 })).toEqual(['a/b: is not a known field']);
    expect(() => parseTraitPack('{')).toThrow(/^The trait pack is not valid JSON: /);
    expect(() => parseTraitPack({ ...ours, name: '' })).toThrow('The trait pack has 1 problem:\nname: must be a non-empty string');
  });

  it('persona shapes: detection, defaults, odd question counts, and the round trip', () => {
    expect(isPersonaShape({ questions: [] })).toBe(true);
    expect(isPersonaShape({ questions: [], extractionQuestions: [] })).toBe(false);
    expect(isPersonaShape({ eval_prompt: '' })).toBe(true);
    expect(isPersonaShape(null)).toBe(false);
    const p = parseTraitPack({ instruction: [{ pos: 'p', neg: 'q' }], questions: ['1', '2', '3'], eval_prompt: '{question}{answer}', extra: true });
    expect(p).toEqual({ name: 'imported', description: '', instructions: [{ pos: 'p', neg: 'q' }], extractionQuestions: ['1', '2'], evaluationQuestions: ['3'], evalPrompt: '{question}{answer}' });
    const persona = { instruction: [{ pos: 'p', neg: 'q' }], questions: ['1', '2', '3'], eval_prompt: '{question}{answer}' };
    expect(parseTraitPack(JSON.stringify(persona), { name: 'x', description: 'd' })).toEqual({ ...p, name: 'x', description: 'd' });
    expect(parseTraitPack(JSON.stringify(ours))).toEqual(ours);
  });
});

describe('eval refusals carry their engine error code', () => {
  const codeOf = (f: () => unknown): string => {
    try { f(); } catch (e) { return (e as { code?: string }).code ?? `no code: ${String(e)}`; }
    return 'no error';
  };
  it('bad input is bad-input', () => {
    expect(codeOf(() => toPlain(new BigInt64Array(1)))).toBe('bad-input');
    expect(codeOf(() => toPlain(new Map()))).toBe('bad-input');
    expect(codeOf(() => toPlain(Symbol('s')))).toBe('bad-input');
    expect(codeOf(() => fromPlain({ $typed: 'Nope', b64: '' }))).toBe('bad-input');
    expect(codeOf(() => parseTraitPack('{'))).toBe('bad-input');
    expect(codeOf(() => parseTraitPack({}))).toBe('bad-input');
  });
});
