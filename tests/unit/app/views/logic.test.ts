/** Pure logic of the experiment views: form parsing, pack-error mapping, the pair filter, exports, the trait-only judge. */
import { describe, expect, it } from 'vitest';
import { evil } from '../../../../src/engine/eval/packs';
import { COHERENCE_TEMPLATE, fillJudgePrompt } from '../../../../src/engine/eval/judge';
import { validateTraitPack } from '../../../../src/engine/eval/traitPack';
import { withCoherence } from '../../../../src/app/views/experiments';
import {
  errorsByField, formToObject, packToForm, parseLayerRange, parseNumberList, toCsv,
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

describe('statistics and exports', () => {
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

describe('withCoherence (engine workflow plumbing, re-exported to the views)', () => {
  const judge = { id: 'j', calls: [] as string[][], async scoreMany(p: string[]) { this.calls.push(p); return p.map((_, i) => 10 + i); } };
  it('off: coherence prompts get null without reaching the judge; trait prompts keep their order', async () => {
    const trait = fillJudgePrompt(evil.evalPrompt, 'q', 'a');
    const j = withCoherence(judge, false);
    expect(j.id).toBe('j#trait-only');
    expect(await j.scoreMany([trait, fillJudgePrompt(COHERENCE_TEMPLATE, 'q', 'a'), trait])).toEqual([10, null, 11]);
    expect(judge.calls).toEqual([[trait, trait]]);
    expect(withCoherence(judge, true)).toBe(judge);
  });
});
