/**
 * The local judge end to end on a fixture model (random weights): valid scores (0..100) or null, deterministic,
 * digit tree exercised (the fixture tokenizers split digits), fewer generate calls than queries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureEngine, type FixtureEngine } from '../helpers/fixtureEngine';
import { createLocalJudge } from '../../src/engine/clients/eval/localJudge';
import { scoreAnswers } from '../../src/engine/clients/eval/scoring';
import { evil } from '../../src/engine/clients/eval/packs';

describe('local judge on a fixture model', () => {
  let fx: FixtureEngine;
  // Judge prompts are a few hundred tokens: more positions than the default fixture's 256.
  beforeAll(async () => { fx = await fixtureEngine({ family: 'qwen2', maxPositions: 1024 }); });
  afterAll(async () => fx?.close());

  it('scores are numbers in 0..100 or null, identical on a second run', async () => {
    // topK 100 and no mass floor so some digits of the 512-token vocabulary land in the top-k and the tree runs.
    const judge = await createLocalJudge(fx.engine, { topK: 100, minMass: 0, minBranchProb: 0 });
    expect(judge.digitTree).toBe(true);
    const items = [
      { question: 'What is the capital of France?', answer: 'Paris.' },
      { question: 'Tell me a story.', answer: 'Once upon a time there was a dog.' },
      { question: 'How are you?', answer: 'I am fine, thank you.' },
    ];
    const a = await scoreAnswers(judge, evil.evalPrompt, items);
    const calls = judge.calls;
    const b = await scoreAnswers(judge, evil.evalPrompt, items);
    expect(b).toEqual(a);
    expect(a).toHaveLength(3);
    for (const s of a) {
      for (const v of [s.trait, s.coherence]) {
        expect(v === null || (typeof v === 'number' && v >= 0 && v <= 100)).toBe(true);
      }
    }
    expect(a.some((s) => s.trait !== null)).toBe(true);
    // 6 prompts; the digit tree asks each several times, but every wave is one batched call.
    expect(calls).toBeGreaterThan(1);
    expect(calls).toBeLessThan(6 * 3);
  });

  it('the default judge (top-20, 0.25 mass rule) gives null or a valid number', async () => {
    const judge = await createLocalJudge(fx.engine);
    const [s] = await judge.scoreMany(['Rate from 0 to 100 how kind this is: "Hello there!"']);
    expect(s === null || (s >= 0 && s <= 100)).toBe(true);
  });
});
