import { describe, expect, it } from 'vitest';
import type { Engine } from '../../../../src/engine/api';
import { scripture } from '../../../../src/engine/eval/packs/scripture';
import { judgeLabel } from '../../../../src/engine/eval/scoring';
import { judgeFor } from '../../../../src/app/views/experiments';

// The lexical paths never touch the engine (the local one is covered by the integration tests of the local judge).
const noEngine = {} as Engine;
const settings = { minMass: 0.25, coherence: true, topK: 20 };

describe('the views\' judge choice', () => {
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
