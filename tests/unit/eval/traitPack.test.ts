import { describe, expect, it } from 'vitest';
import { PACK_LIMITS, parseTraitPack, validateTraitPack } from '../../../src/engine/clients/eval/traitPack';

const ours = {
  name: 'curious',
  description: 'asks questions',
  instructions: [{ pos: 'Be curious.', neg: 'Be incurious.' }],
  extractionQuestions: ['What is rain?'],
  evaluationQuestions: ['What is snow?'],
  evalPrompt: 'Rate {answer} to {question} from 0 to 100.',
};

const persona = {
  instruction: [{ pos: 'p1', neg: 'n1' }, { pos: 'p2', neg: 'n2' }, { pos: 'p3', neg: 'n3' }],
  questions: ['q1', 'q2', 'q3', 'q4', 'q5'],
  eval_prompt: 'Question: {question}\nAnswer: {answer}\nScore 0-100.',
};

const errorsOf = (x: unknown): string[] => {
  const r = validateTraitPack(x);
  if (r.ok) throw new Error('expected invalid');
  return r.errors;
};

describe('trait packs', () => {
  it('accepts our shape unchanged', () => {
    expect(parseTraitPack(ours)).toEqual(ours);
    expect(parseTraitPack(JSON.stringify(ours))).toEqual(ours);
  });

  it('accepts the persona-vectors shape and splits questions into halves', () => {
    const p = parseTraitPack(persona, { name: 'mytrait' });
    expect(p.name).toBe('mytrait');
    expect(p.instructions).toHaveLength(3);
    expect(p.extractionQuestions).toEqual(['q1', 'q2', 'q3']);
    expect(p.evaluationQuestions).toEqual(['q4', 'q5']);
    expect(p.evalPrompt).toBe(persona.eval_prompt);
  });

  it('names the field and the problem in plain words', () => {
    const bad = { ...persona, instruction: [...persona.instruction, { pos: 'ok', neg: '' }] };
    expect(errorsOf(bad)).toEqual(['instruction[3].neg: must be a non-empty string']);
    expect(errorsOf({ ...persona, instruction: [{ pos: 'ok', neg: '   ' }] })).toEqual(['instruction[0].neg: must be a non-empty string']);
    expect(errorsOf({ ...persona, instruction: [{ pos: 'ok' }] })).toEqual(['instruction[0].neg: is required']);
    expect(errorsOf({ ...persona, questions: ['a', 7] })).toEqual(['questions[1]: must be a string']);
    expect(errorsOf({ ...persona, questions: 'q' })).toEqual(['questions: must be a list']);
    expect(errorsOf({ ...ours, extractionQuestions: [] })).toEqual(['extractionQuestions: must have at least 1 entry']);
    expect(errorsOf({ ...ours, colour: 'red' })).toEqual(['colour: is not a known field']);
    const { evalPrompt: _, ...noPrompt } = ours;
    expect(errorsOf(noPrompt)).toEqual(['evalPrompt: is required']);
  });

  it('requires the {question} and {answer} slots in the eval prompt', () => {
    expect(errorsOf({ ...persona, eval_prompt: 'Rate {answer}.' })).toEqual(['eval_prompt: must contain the {question} slot']);
    expect(errorsOf({ ...ours, evalPrompt: 'Rate it.' })).toEqual(['evalPrompt: must contain the {question} slot', 'evalPrompt: must contain the {answer} slot']);
  });

  it('refuses over-long strings and over-many entries', () => {
    expect(errorsOf({ ...ours, name: 'x'.repeat(PACK_LIMITS.name + 1) })).toEqual([`name: is too long (at most ${PACK_LIMITS.name} characters)`]);
    const many = Array.from({ length: PACK_LIMITS.maxInstructions + 1 }, () => ({ pos: 'a', neg: 'b' }));
    expect(errorsOf({ ...ours, instructions: many })).toEqual([`instructions: has too many entries (at most ${PACK_LIMITS.maxInstructions})`]);
    expect(errorsOf({ ...persona, questions: ['x'.repeat(PACK_LIMITS.question + 1), 'b'] })).toEqual([`questions[0]: is too long (at most ${PACK_LIMITS.question} characters)`]);
  });

  it('lists every problem in one bad-input error', () => {
    try {
      parseTraitPack({ ...persona, instruction: [{ pos: '', neg: 5 }], eval_prompt: 'x' });
      throw new Error('expected a throw');
    } catch (e) {
      expect((e as { code: string }).code).toBe('bad-input');
      const msg = (e as Error).message;
      expect(msg).toMatch(/^The trait pack has 4 problems:/);
      expect(msg).toContain('instruction[0].pos: must be a non-empty string');
      expect(msg).toContain('instruction[0].neg: must be a string');
      expect(msg).toContain('eval_prompt: must contain the {answer} slot');
    }
    expect(() => parseTraitPack('{nope')).toThrow(/not valid JSON/);
    expect(() => parseTraitPack(null)).toThrow(/\(pack\): must be an object/);
  });
});
