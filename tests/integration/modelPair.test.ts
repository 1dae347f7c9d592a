/**
 * assertComparableModels (vectors/modelPair.ts) on real engines: two checkpoints of one architecture (other
 * weights) pass; a model of the same shape whose tokenizer and chat template differ (the fixture Llama and Qwen2
 * families: same layers, hidden size and vocabulary size, other special tokens and template) is refused, and the
 * message names it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertComparableModels } from '../../src/engine/clients/vectors/modelPair';
import { fixtureEngine, type FixtureEngine } from '../helpers/fixtureEngine';

let a: FixtureEngine;
let sameArch: FixtureEngine;
let otherTokenizer: FixtureEngine;

beforeAll(async () => {
  a = await fixtureEngine({ family: 'llama' });
  sameArch = await fixtureEngine({ family: 'llama', seed: 99 });
  otherTokenizer = await fixtureEngine({ family: 'qwen2' });
});
afterAll(async () => {
  for (const f of [a, sameArch, otherTokenizer]) await f?.close();
});

describe('assertComparableModels', () => {
  it('passes two checkpoints of one architecture with different weights', async () => {
    await expect(assertComparableModels(a.engine, sameArch.engine)).resolves.toBeUndefined();
  });
  it('refuses the same shape with another tokenizer, naming the tokenizer or template', async () => {
    const [ia, ib] = [a.engine.info()!, otherTokenizer.engine.info()!];
    expect([ia.numLayers, ia.hiddenSize, ia.vocabSize]).toEqual([ib.numLayers, ib.hiddenSize, ib.vocabSize]);
    await expect(assertComparableModels(a.engine, otherTokenizer.engine)).rejects.toThrow(/does not share model A's .*architecture: (tokenizer|chat template) \(/);
  });
});
