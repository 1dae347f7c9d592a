import { describe, expect, it } from 'vitest';
import type { Engine } from '../../../src/engine/shared/api';
import { scripture } from '../../../src/engine/clients/eval/packs/scripture';
import { judgeLabel } from '../../../src/engine/clients/eval/scoring';
import { COHERENCE_TEMPLATE, fillJudgePrompt } from '../../../src/engine/clients/eval/judge';
import { evil } from '../../../src/engine/clients/eval/packs';
import { judgeFor, withCoherence } from '../../../src/engine/clients/eval/workflow';

// The lexical paths never touch the engine (the local one is covered by the integration tests of the local judge).
const noEngine = {} as Engine;
const settings = { minMass: 0.25, coherence: true, topK: 20 };

describe('the workflows\' judge choice', () => {
  it('auto and lexical pick the lexical judge when the pack has marker words, and say so', async () => {
    for (const kind of ['auto', 'lexical'] as const) {
      const j = await judgeFor(noEngine, { ...settings, kind }, scripture.markers);
      expect(judgeLabel(j)).toBe('lexical (marker words)');
      expect(await j.scoreItems!([{ question: 'q', answer: 'thou unto thee' }])).toEqual([100]);
    }
  });

  it('lexical without marker words is refused with what to do', async () => {
    await expect(judgeFor(noEngine, { ...settings, kind: 'lexical' }, undefined)).rejects.toMatchObject({ code: 'bad-input', message: expect.stringMatching(/no marker words.*local model judge/) });
  });
});

describe('withCoherence', () => {
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
