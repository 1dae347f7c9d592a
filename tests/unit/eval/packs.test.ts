import { describe, expect, it } from 'vitest';
import { BUILTIN_PACKS, builtinPack } from '../../../src/engine/clients/eval/packs';
import { validateTraitPack } from '../../../src/engine/clients/eval/traitPack';

const PERSONA = ['evil', 'sycophantic', 'hallucinating', 'impolite', 'optimistic', 'humorous', 'apathetic'];

describe('built-in packs', () => {
  it('lists the demo model\'s two registers first, then the seven traits', () => {
    expect(BUILTIN_PACKS.map((p) => p.name)).toEqual(['scripture', 'quip', ...PERSONA]);
    expect(builtinPack('humorous')?.name).toBe('humorous');
  });
  for (const pack of BUILTIN_PACKS.filter((p) => !PERSONA.includes(p.name))) {
    it(`${pack.name} (demo model): valid, with marker words for the lexical judge, its own system prompts`, () => {
      expect(validateTraitPack(pack)).toMatchObject({ ok: true });
      expect(pack.markers?.words.length).toBeGreaterThanOrEqual(20);
      expect(new Set([...pack.extractionQuestions, ...pack.evaluationQuestions]).size).toBe(pack.extractionQuestions.length + pack.evaluationQuestions.length);
      for (const { pos, neg } of pack.instructions) expect(pos).not.toBe(neg);
    });
  }
  for (const pack of BUILTIN_PACKS.filter((p) => PERSONA.includes(p.name))) {
    it(`${pack.name}: valid, complete, no duplicate or shared questions`, () => {
      expect(validateTraitPack(pack)).toMatchObject({ ok: true });
      expect(pack.instructions.length).toBeGreaterThanOrEqual(5);
      expect(pack.extractionQuestions).toHaveLength(20);
      expect(pack.evaluationQuestions).toHaveLength(20);
      const all = [...pack.extractionQuestions, ...pack.evaluationQuestions];
      expect(new Set(all).size).toBe(40);
      expect(pack.evalPrompt).toContain('{question}');
      expect(pack.evalPrompt).toContain('{answer}');
      for (const { pos, neg } of pack.instructions) expect(pos).not.toBe(neg);
    });
  }
});
