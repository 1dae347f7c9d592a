import { describe, expect, it } from 'vitest';
import { checkLexicon, createLexicalJudge, lexicalScore, markerMatcher, wordsOf } from '../../../src/engine/clients/eval/lexicalJudge';
import { scripture } from '../../../src/engine/clients/eval/packs/scripture';
import { judgeLabel, judgesCoherence, scoreAnswers } from '../../../src/engine/clients/eval/scoring';
import { parseTraitPack } from '../../../src/engine/clients/eval/traitPack';

const lex = { words: ['thou', 'unto', '*eth', "*n't"], fullDensity: 0.5 };

describe('lexical judge', () => {
  it('splits words on letters and apostrophes, lower-cased, curly apostrophes read as straight', () => {
    expect(wordsOf('Thou DON’T go, 42 times -- unto-it')).toEqual(['thou', "don't", 'go', 'times', 'unto', 'it']);
  });

  it('matches exact words and * patterns, a pattern never matching itself alone', () => {
    const m = markerMatcher(['unto', '*eth', 'thou*']);
    expect(['unto', 'goeth', 'teeth', 'thoughts'].map(m)).toEqual([true, true, true, true]);
    expect(['eth', 'thou', 'into', 'ethics'].map(m)).toEqual([false, false, false, false]);
  });

  it('scores 100 · hits / (words · fullDensity), capped at 100 (counted by hand)', () => {
    // 10 words; hits: unto, goeth, thou → 3; 100 · 3 / (10 · 0.5) = 60.
    expect(lexicalScore('And he saith unto thee: it goeth well, thou knowest.', lex)).toBeCloseTo(60, 10);
    // 4 words, 1 hit ("don't"): 100 · 1 / (4 · 0.5) = 50.
    expect(lexicalScore("I don't know that", lex)).toBeCloseTo(50, 10);
    expect(lexicalScore('thou unto thou', lex)).toBe(100);
    expect(lexicalScore('plain words only', lex)).toBe(0);
    expect(lexicalScore(' ... 42 ', lex)).toBeNull();
  });

  it('scores answers, not judge prompts, and grades no coherence', async () => {
    const judge = createLexicalJudge(lex);
    expect(judgesCoherence(judge)).toBe(false);
    expect(judgeLabel(judge)).toBe('lexical (marker words)');
    const got = await scoreAnswers(judge, 'unused {question} {answer}', [
      { question: 'unto thou unto', answer: 'thou goeth' }, { question: 'q', answer: 'nothing here' },
    ]);
    expect(got).toEqual([{ trait: 100, coherence: null }, { trait: 0, coherence: null }]);
    await expect(judge.scoreMany(['a prompt'])).rejects.toMatchObject({ code: 'internal' });
  });

  it('has an id that changes with the lexicon (cached scores never cross lexicons)', () => {
    const a = createLexicalJudge(lex).id;
    expect(createLexicalJudge({ ...lex, fullDensity: 0.4 }).id).not.toBe(a);
    expect(createLexicalJudge({ ...lex, words: ['thou'] }).id).not.toBe(a);
    expect(createLexicalJudge({ ...lex, words: [...lex.words].reverse() }).id).toBe(a);
  });

  it('refuses an empty lexicon or a density outside (0, 1]', () => {
    expect(() => createLexicalJudge({ words: [' '], fullDensity: 0.1 })).toThrow(/at least one marker/);
    expect(() => createLexicalJudge({ words: ['x'], fullDensity: 0 })).toThrow(/fullDensity/);
    expect(() => createLexicalJudge({ words: ['x'], fullDensity: 1.5 })).toThrow(/fullDensity/);
  });

  it('scores a KJV verse high and a plain sentence 0 with the scripture pack\'s markers', () => {
    // Ruth 1:16 (KJV).
    const verse = 'Intreat me not to leave thee, or to return from following after thee: for whither thou goest, I will go; and where thou lodgest, I will lodge';
    expect(wordsOf(verse)).toHaveLength(27);
    // thee, thee, thou, thou → 4 hits (goest/lodgest end in "est", not "eth"): 100 · 4 / (27 · 0.1) = 148 → 100.
    expect(lexicalScore(verse, scripture.markers!)).toBe(100);
    expect(lexicalScore('Most people think about the sea at some point in their lives.', scripture.markers!)).toBe(0);
  });
});

describe('trait packs carry markers', () => {
  const pack = { ...scripture, instructions: [...scripture.instructions] };
  it('in our shape and through the persona-vectors shape', () => {
    expect(parseTraitPack(JSON.parse(JSON.stringify(pack))).markers).toEqual(scripture.markers);
    const persona = { instruction: pack.instructions, questions: [...pack.extractionQuestions, ...pack.evaluationQuestions], eval_prompt: pack.evalPrompt, markers: pack.markers };
    expect(parseTraitPack(persona).markers).toEqual(scripture.markers);
  });
  it('rejects malformed markers with the field named', () => {
    expect(() => parseTraitPack({ ...pack, markers: { words: [], fullDensity: 0.1 } })).toThrow(/markers\.words/);
    expect(() => parseTraitPack({ ...pack, markers: { words: ['a'], fullDensity: 2 } })).toThrow(/markers\.fullDensity/);
  });
});

describe('lexical judge details', () => {
  it('markers are trimmed and lower-cased; a lone "*" or blank is no marker', () => {
    const m = markerMatcher(['  Thee ', '*ETH', 'UN*', '*', '   ']);
    expect(['thee', 'maketh', 'undo'].map(m)).toEqual([true, true, true]);
    expect(['', 'a', 'x', 'eth', 'un'].map(m)).toEqual([false, false, false, false, false]);
    // "*" and "**" are not patterns over everything: the one-letter word "a" is not a marker.
    expect(markerMatcher(['*'])('a')).toBe(false);
    expect(markerMatcher(['**'])('a')).toBe(false);
  });
  it('states the exact refusals, and accepts fullDensity 1', () => {
    expect(() => checkLexicon({ words: [' '], fullDensity: 0.5 })).toThrow('The lexical judge needs at least one marker word.');
    expect(() => checkLexicon({ words: ['a'], fullDensity: 1.5 })).toThrow("The lexical judge's fullDensity must be in (0, 1]; got 1.5.");
    expect(() => checkLexicon({ words: ['a'], fullDensity: 1 })).not.toThrow();
  });
  it('keeps a normalised, sorted lexicon and names it in the id; refuses judge prompts', async () => {
    const j = createLexicalJudge({ words: [' Thou', 'ART', ' '], fullDensity: 0.5 });
    expect(j.lexicon).toEqual({ words: ['art', 'thou'], fullDensity: 0.5 });
    expect(j.id).toBe('lexical:0.5:art,thou');
    expect(await j.scoreItems([{ question: 'q', answer: 'Thou art' }])).toEqual([100]);
    await expect(j.scoreMany(['x'])).rejects.toThrow('The lexical judge scores answers, not judge prompts; call scoreAnswers.');
  });
});
