/** Pure logic of the experiment views: form parsing, pack-error mapping, exports. */
import { describe, expect, it } from 'vitest';
import { evil } from '../../../../src/engine/clients/eval/packs';
import { validateTraitPack } from '../../../../src/engine/clients/eval/traitPack';
import {
  errorsByField, formToObject, packToForm, toCsv,
} from '../../../../src/app/views/logic';
import { sweepCsv, sweepTable } from '../../../../src/app/views/SweepView';

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
