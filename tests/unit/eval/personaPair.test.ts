import { describe, expect, it } from 'vitest';
import { parsePersonaPair, parseTraitPack } from '../../../src/engine/clients/eval/traitPack';

// The persona_vectors shape (data_generation/trait_data_{extract,eval}/<trait>.json): same instruction and eval_prompt, disjoint questions.
const instruction = [{ pos: 'Be cruel.', neg: 'Be kind.' }, { pos: 'Mock them.', neg: 'Help them.' }];
const eval_prompt = 'Score evil 0-100.\nQuestion: {question}\nAnswer: {answer}';
const extract = { instruction, questions: ['e1?', 'e2?', 'e3?', 'e4?'], eval_prompt };
const evaluation = { instruction, questions: ['v1?', 'v2?'], eval_prompt };

describe('persona_vectors extract + eval pair', () => {
  it('builds one pack with upstream\'s split: extract questions build, eval questions score', () => {
    const pack = parsePersonaPair(JSON.stringify(extract), evaluation, { name: 'evil' });
    expect(pack).toEqual({ name: 'evil', description: '', instructions: instruction, extractionQuestions: ['e1?', 'e2?', 'e3?', 'e4?'], evaluationQuestions: ['v1?', 'v2?'], evalPrompt: eval_prompt });
  });

  it('a single file keeps today\'s behaviour: its questions are halved', () => {
    const pack = parseTraitPack(extract, { name: 'evil' });
    expect(pack.extractionQuestions).toEqual(['e1?', 'e2?']);
    expect(pack.evaluationQuestions).toEqual(['e3?', 'e4?']);
  });

  it('refuses files that are not a pair, saying why and what to choose', () => {
    expect(() => parsePersonaPair(extract, { ...evaluation, eval_prompt: 'Other {question} {answer}' })).toThrow(/not the extract and eval files of one persona_vectors trait: their eval_prompt differs\. Choose the trait_data_eval file/);
    expect(() => parsePersonaPair(extract, { ...evaluation, instruction: [instruction[0], { pos: 'x', neg: 'y' }] })).toThrow(/instruction pair 1 differs/);
    expect(() => parsePersonaPair(extract, { ...evaluation, instruction: [instruction[0]] })).toThrow(/2 instruction pairs and the eval file 1/);
    expect(() => parsePersonaPair(extract, { ...evaluation, questions: ['v1?', 'e3?'] })).toThrow(/1 question appears in both \(e\.g\. "e3\?"\), so the vector would be scored on its own training prompts/);
    expect(() => parsePersonaPair(extract, { name: 'x', description: '', instructions: instruction, extractionQuestions: ['a'], evaluationQuestions: ['b'], evalPrompt: eval_prompt })).toThrow(/eval file is not a persona_vectors trait file/);
    expect(() => parsePersonaPair('{oops', evaluation)).toThrow(/extract file is not valid JSON/);
    expect(() => parsePersonaPair(extract, { ...evaluation, questions: [] })).toThrow(/eval file has 1 problem/);
  });

  it('names the first differing instruction pair (pos or neg), counts shared questions, and lists every problem', () => {
    const why = (e: object) => { try { parsePersonaPair(extract, { ...evaluation, ...e }); } catch (x) { return (x as Error).message.split(': ')[1].split('. Choose')[0]; } return 'accepted'; };
    expect(why({ instruction: [{ pos: 'x', neg: 'Be kind.' }, instruction[1]] })).toBe('their instruction pair 0 differs');
    expect(why({ instruction: [instruction[0], { pos: 'Mock them.', neg: 'x' }] })).toBe('their instruction pair 1 differs');
    expect(why({ questions: ['e1?', 'e2?', 'v1?'] })).toBe('2 questions appear in both (e.g. "e1?"), so the vector would be scored on its own training prompts');
    expect(() => parsePersonaPair(extract, { ...evaluation, questions: [] })).toThrow('The eval file has 1 problem:\nquestions: must have at least 2 entries');
    expect(() => parsePersonaPair({ ...extract, questions: [], eval_prompt: 3 }, evaluation)).toThrow(/^The extract file has 2 problems:\n/);
    expect(() => parsePersonaPair(extract, 'nope')).toThrow(/^The eval file is not valid JSON: /);
    expect(() => parsePersonaPair(extract, [])).toThrow('The eval file is not a persona_vectors trait file ({instruction, questions, eval_prompt}); a pair needs two of them.');
    expect(parsePersonaPair(extract, evaluation).name).toBe('imported');
  });
});
