/** Pure logic of the experiment views: form parsing, pack-error mapping, the pair filter, exports, the trait-only judge. */
import { describe, expect, it } from 'vitest';
import { evil } from '../../../../src/engine/eval/packs';
import { coherencePrompt, fillJudgePrompt } from '../../../../src/engine/eval/judge';
import { validateTraitPack } from '../../../../src/engine/eval/traitPack';
import { withCoherence } from '../../../../src/app/views/experiments';
import {
  DEFAULT_THRESHOLDS, errorsByField, formToObject, meanSd, packToForm, pairVerdict, parseLayerRange, parseNumberList, toCsv,
} from '../../../../src/app/views/logic';
import { sweepCsv, sweepTable } from '../../../../src/app/views/SweepView';

describe('parseNumberList', () => {
  it('reads commas, spaces and semicolons, keeps order, drops duplicates', () => {
    expect(parseNumberList('-8, -4 0;4  8 4')).toEqual([-8, -4, 0, 4, 8]);
    expect(parseNumberList('1.5e0')).toEqual([1.5]);
  });
  it('names the bad token', () => {
    expect(parseNumberList('1, two, 3')).toBe('"two" is not a number.');
    expect(parseNumberList('')).toBe('Give at least one number.');
    expect(parseNumberList('1e9')).toMatch(/out of range/);
    expect(parseNumberList('NaN')).toMatch(/not a number/);
  });
});

describe('parseLayerRange', () => {
  it('accepts a layer or a range within the model', () => {
    expect(parseLayerRange('2', 4)).toEqual([2, 2]);
    expect(parseLayerRange('1-3', 4)).toEqual([1, 3]);
    expect(parseLayerRange(' 12..15 ', 16)).toEqual([12, 15]);
  });
  it('refuses reversed, out-of-range and malformed input', () => {
    expect(parseLayerRange('3-1', 4)).toMatch(/low to high/);
    expect(parseLayerRange('2-4', 4)).toMatch(/0\.\.3/);
    expect(parseLayerRange('a', 4)).toMatch(/range like/);
  });
});

describe('pack form', () => {
  it('round-trips a built-in pack through the form', () => {
    const r = validateTraitPack(formToObject(packToForm(evil)));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.pack).toEqual(evil);
  });
  it('unequal pos/neg lines become a named missing side; messages group by field', () => {
    const form = { ...packToForm(evil), neg: 'only one', evalPrompt: 'no slots here', extractionQuestions: '' };
    const r = validateTraitPack(formToObject(form));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const by = errorsByField(r.errors);
    expect(by.instructions).toContain('instructions[1].neg: must be a non-empty string');
    expect(by.evalPrompt).toEqual(expect.arrayContaining(['evalPrompt: must contain the {question} slot', 'evalPrompt: must contain the {answer} slot']));
    expect(by.extractionQuestions).toEqual(['extractionQuestions: must have at least 1 entry']);
    expect(by.name).toBeUndefined();
  });
  it('persona-shape keys and unknown keys land on a field', () => {
    expect(errorsByField(['instruction[0].pos: must be a non-empty string', 'eval_prompt: is required', 'extra: is not a known field', '(pack): must be an object'])).toEqual({
      instructions: ['instruction[0].pos: must be a non-empty string'], evalPrompt: ['eval_prompt: is required'], json: ['extra: is not a known field', '(pack): must be an object'],
    });
  });
});

describe('pairVerdict', () => {
  const ok = { posTrait: 80, negTrait: 10, posCoherence: 90, negCoherence: 90, posText: 'a', negText: 'b' };
  it('is the persona-vector rule with the given thresholds', () => {
    expect(pairVerdict(ok, DEFAULT_THRESHOLDS)).toBeNull();
    expect(pairVerdict({ ...ok, posTrait: 49 }, DEFAULT_THRESHOLDS)).toMatch(/positive trait 49 < 50/);
    expect(pairVerdict({ ...ok, negTrait: 50 }, DEFAULT_THRESHOLDS)).toMatch(/negative trait 50 ≥ 50/);
    expect(pairVerdict({ ...ok, negCoherence: 20 }, DEFAULT_THRESHOLDS)).toMatch(/coherence/);
    expect(pairVerdict({ ...ok, negText: '  ' }, DEFAULT_THRESHOLDS)).toBe('empty response');
  });
  it('permissive thresholds keep everything scored; unscored pairs only when asked', () => {
    const open = { posMin: 0, negMax: 101, coherenceMin: 0 };
    expect(pairVerdict({ ...ok, posTrait: 0, negTrait: 100 }, open)).toBeNull();
    const unscored = { ...ok, posTrait: null, negCoherence: null };
    expect(pairVerdict(unscored, open)).toMatch(/no trait score/);
    expect(pairVerdict(unscored, open, true, true)).toBeNull();
    expect(pairVerdict({ ...ok, posCoherence: null, negCoherence: null }, open, false)).toBeNull(); // coherence not judged
  });
});

describe('statistics and exports', () => {
  it('meanSd ignores non-finite values; sd is the sample sd', () => {
    expect(meanSd([1, 2, 3, NaN])).toEqual({ n: 3, mean: 2, sd: 1 });
    expect(meanSd([5])).toEqual({ n: 1, mean: 5, sd: 0 });
    expect(meanSd([]).n).toBe(0);
  });
  it('CSV quotes text, empties non-finite numbers and defuses formulas', () => {
    expect(toCsv(['a', 'b'], [['x,"y"', NaN], ['=cmd()', -3], [null, 1.5]])).toBe('a,b\n"x,""y""",\n\'=cmd(),-3\n,1.5\n');
  });
  it('sweep table: mean ± sd per condition and coefficient, judge nulls left out', () => {
    const s = (condition: 'vector' | 'random', coeff: number, trait: number | null, projection: number) => ({ condition, coeff, question: 'q', answer: 'a', trait, coherence: null, projection });
    const r = { vectorName: 'v', layer: 1, coeffs: [-2, 2], questions: ['q'], modelId: 'm', samples: [s('vector', -2, 10, -1), s('vector', -2, 30, -3), s('vector', 2, null, 5), s('random', 2, 40, 0)] };
    const t = sweepTable(r);
    expect(t.map((x) => [x.condition, x.coeff, x.n, x.trait.mean, x.trait.n, x.projection.mean])).toEqual([
      ['vector', -2, 2, 20, 2, -2], ['vector', 2, 1, NaN, 0, 5], ['random', 2, 1, 40, 1, 0],
    ]);
    const csv = sweepCsv(r).trim().split('\n');
    expect(csv[0]).toBe('condition,coeff,n,trait_mean,trait_sd,coherence_mean,coherence_sd,projection_mean,projection_sd');
    expect(csv[2]).toBe('vector,2,1,,,,,5,0');
  });
});

describe('withCoherence', () => {
  const judge = { id: 'j', calls: [] as string[][], async scoreMany(p: string[]) { this.calls.push(p); return p.map((_, i) => 10 + i); } };
  it('off: coherence prompts get null without reaching the judge; trait prompts keep their order', async () => {
    const trait = fillJudgePrompt(evil.evalPrompt, 'q', 'a');
    const j = withCoherence(judge, false);
    expect(j.id).toBe('j#trait-only');
    expect(await j.scoreMany([trait, coherencePrompt('q', 'a'), trait])).toEqual([10, null, 11]);
    expect(judge.calls).toEqual([[trait, trait]]);
    expect(withCoherence(judge, true)).toBe(judge);
  });
});
