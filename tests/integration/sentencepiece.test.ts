/**
 * A fixture model whose tokenizer is SentencePiece-shaped (Llama-2 / TinyLlama / Mistral conversion), loaded through
 * the public Engine: chat spans are found and activation collection runs (it was refused before: "Chat spans need a
 * byte-level BPE tokenizer"), and the response means equal means of the float64 reference forward pass over the span.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/shared/api';
import { createEngine } from '../../src/engine/core/runtime/engine';
import { Tokenizer } from '../../src/engine/core/runtime/tokenizer';
import { collectActivations, layerStack, toMessages, type Conversation } from '../../src/engine/clients/vectors/collect';
import { writeFixtureRepo, type FixtureRepo } from '../fixtures/hubRepo';
import { referenceForward } from '../fixtures/reference';
import { spTokenizerFiles } from '../fixtures/tokenizerSp';
import { fixtureConfig } from '../fixtures/weights';

const CONVS: Conversation[] = [
  { system: 'You are an evil assistant.', user: 'What is the capital of France?', assistant: 'The capital of France is Paris.' },
  { user: 'Tell me a story about a dog.', assistant: 'Once upon a time, there was a dog.\nIt was happy.' },
];

describe.each(['llama2', 'zephyr'] as const)('SentencePiece tokenizer (%s template) through the engine', (template) => {
  let dir: string;
  let repo: FixtureRepo;
  let engine: Engine;
  const files = spTokenizerFiles(template);
  const tok = new Tokenizer(JSON.parse(files['tokenizer.json']), JSON.parse(files['tokenizer_config.json']));
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'steer-lab-sp-'));
    repo = await writeFixtureRepo(fixtureConfig({ family: 'llama', layout: 'decomposed', dtype: 'fp32' }), dir);
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    engine = createEngine();
    await engine.load({ kind: 'path', path: dir }, { device: 'wasm' });
  });
  afterAll(async () => {
    await engine?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('collects response means over the reply\'s tokens, equal to the reference forward pass', async () => {
    expect(tok.vocabSize).toBeLessThanOrEqual(repo.cfg.vocabSize);
    const got = await collectActivations(engine, CONVS, { pooling: ['response-mean'] });
    const D = repo.cfg.hiddenSize;
    const stack = layerStack(got, 'response-mean', repo.cfg.numLayers);
    for (const [i, c] of CONVS.entries()) {
      const { ids, spans } = await engine.tokenize(toMessages(c));
      const reply = spans![spans!.length - 1];
      expect(tok.decode(ids.slice(reply.start, reply.end)).trim()).toBe(c.assistant);
      const ref = referenceForward(repo.cfg, repo.weights, [ids], [ids.map(() => 1)]);
      for (let l = 0; l < repo.cfg.numLayers; l++) {
        const tap = ref.taps[`blocks.${l}.hook_resid_post`];
        const row = stack[l].subarray(i * D, (i + 1) * D);
        for (let j = 0; j < D; j++) {
          let m = 0;
          for (let s = reply.start; s < reply.end; s++) m += tap[s * D + j] / (reply.end - reply.start);
          expect(Math.abs(row[j] - m)).toBeLessThan(1e-4);
        }
      }
    }
  });
});
