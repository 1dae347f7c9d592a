/**
 * A LoRA adapter through the public engine: loaded with the model, reported in ModelInfo, its strength a
 * plain per-row field of the request (validated), base and fine-tuned generated as rows of one batch and
 * checked against the float64 reference's greedy tokens, and a cached prompt prefix never reused across
 * strengths (the prefix KV depends on them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFixtureRepo, type FixtureRepo } from '../fixtures/hubRepo';
import { fixtureConfig } from '../fixtures/weights';
import { referenceGreedy } from '../fixtures/reference';
import { adapterFiles, makeAdapter, mergeAdapter, type FixtureAdapter } from '../fixtures/lora';
import { createEngine } from '../../src/engine/core/runtime/engine';
import type { Engine, GenerateRequest } from '../../src/engine/shared/api';

const CFG = fixtureConfig({ family: 'qwen2', layout: 'builder', attention: 'gqa', dtype: 'fp32' });
const PROMPT = 'the quick brown fox';
const STEPS = 8;

let dir: string;
let repo: FixtureRepo;
let adapter: FixtureAdapter;
let engine: Engine;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steer-lab-lora-'));
  repo = await writeFixtureRepo(CFG, dir);
  adapter = makeAdapter(CFG, { modules: ['q_proj', 'v_proj', 'o_proj', 'up_proj'], rank: 8, alpha: 16, rslora: true, layers: [0, 2, 3], seed: 9, bStd: 0.5 });
  engine = createEngine();
  await engine.load({ kind: 'path', path: dir }, { device: 'wasm', adapter: adapterFiles(adapter, { dtype: 'BF16' }) });
});

afterAll(async () => {
  await engine?.dispose();
  await rm(dir, { recursive: true, force: true });
});

const greedy = (rows: GenerateRequest['rows']): GenerateRequest => ({ rows, maxNewTokens: STEPS, stopAtEos: false });

/** The reference's greedy tokens with the adapter (as stored in BF16) merged at `strength`. */
async function expected(strength: number): Promise<number[]> {
  const { ids } = await engine.tokenize(PROMPT);
  // The engine reads BF16 weights; the reference must merge the same (truncated) values.
  const bf16 = (a: Float32Array) => new Float32Array(Uint32Array.from(new Uint32Array(Float32Array.from(a).buffer), (u) => u & 0xffff0000).buffer);
  const stored: FixtureAdapter = { ...adapter, pairs: new Map([...adapter.pairs].map(([k, p]) => [k, { ...p, a: bf16(p.a), b: bf16(p.b) }])) };
  return referenceGreedy(CFG, mergeAdapter(CFG, repo.weights, stored, strength), ids, STEPS);
}

describe('LoRA adapter through the engine', () => {
  it('reports the adapter in ModelInfo (rslora scale alpha/√r, modules and layers from the weights)', () => {
    expect(engine.info()!.adapter).toEqual({
      name: 'fixture-adapter', baseModel: 'fixture/tiny-decoder', rank: 8, alpha: 16, rslora: true, scale: 16 / Math.sqrt(8),
      modules: ['q_proj', 'v_proj', 'o_proj', 'up_proj'], layers: [0, 2, 3],
      note: `The adapter was trained for fixture/tiny-decoder; the loaded model is ${engine.info()!.id}. Their shapes match, but a different checkpoint of the same architecture (base vs instruct, another fine-tune) gives different results.`,
    });
  });

  it('base (0), fine-tuned (1, also the default) and a blend as rows of one batch give the reference tokens of each merge', async () => {
    const out = await engine.generate(greedy([
      { prompt: PROMPT, adapterStrength: 0 }, { prompt: PROMPT, adapterStrength: 1 }, { prompt: PROMPT }, { prompt: PROMPT, adapterStrength: 0.5 },
    ]));
    const [base, tuned, half] = await Promise.all([expected(0), expected(1), expected(0.5)]);
    expect(out.tokens[0]).toEqual(base);
    expect(out.tokens[1]).toEqual(tuned);
    expect(out.tokens[2]).toEqual(tuned);
    expect(out.tokens[3]).toEqual(half);
    expect(tuned).not.toEqual(base);
  });

  it('a prompt prefix cached under one strength is not reused under another', async () => {
    await engine.generate(greedy([{ prompt: PROMPT, adapterStrength: 1 }]));
    const again = await engine.generate(greedy([{ prompt: PROMPT, adapterStrength: 1 }]));
    expect(again.prefixReused).toBe(true); // the cache is live for the same strengths
    const base = await engine.generate(greedy([{ prompt: PROMPT, adapterStrength: 0 }]));
    expect(base.prefixReused).toBe(false);
    expect(base.tokens[0]).toEqual(await expected(0));
  });

  it('refuses strengths that are not finite numbers in range, naming the row', async () => {
    await expect(engine.generate(greedy([{ prompt: PROMPT }, { prompt: PROMPT, adapterStrength: Number.NaN }])))
      .rejects.toThrow('rows[1].adapterStrength must be a number from -100 to 100 (0 = base model, 1 = fine-tuned); got NaN.');
    await expect(engine.generate(greedy([{ prompt: PROMPT, adapterStrength: 1e3 }]))).rejects.toMatchObject({ code: 'bad-input' });
    await expect(engine.generate(greedy([{ prompt: PROMPT, adapterStrength: '1' as unknown as number }]))).rejects.toMatchObject({ code: 'bad-input' });
  });
});

describe('LoRA adapter refusals at load and request time', () => {
  it('a strength on a model loaded without an adapter is refused', async () => {
    const e = createEngine();
    try {
      await e.load({ kind: 'path', path: dir }, { device: 'wasm' });
      await expect(e.generate(greedy([{ prompt: PROMPT, adapterStrength: 1 }])))
        .rejects.toThrow('rows[0].adapterStrength is set but no LoRA adapter is loaded; load the model with an adapter first.');
    } finally {
      await e.dispose();
    }
  });

  it('an adapter made for another hidden size or more layers is refused at load, naming its base model', async () => {
    const e = createEngine();
    try {
      const wide = makeAdapter({ ...CFG, hiddenSize: 96 }, { modules: ['q_proj'], rank: 2, alpha: 4 });
      await expect(e.load({ kind: 'path', path: dir }, { device: 'wasm', adapter: adapterFiles(wide, { baseModel: 'Qwen/Qwen2.5-0.5B-Instruct' }) }))
        .rejects.toThrow('LoRA adapter: layers.0.q_proj maps 96 → 96 features but the model\'s q_proj maps 64 → 64; it was trained for Qwen/Qwen2.5-0.5B-Instruct, is that the model loaded?');
      const deep = makeAdapter({ ...CFG, numLayers: 6 }, { modules: ['v_proj'], rank: 2, alpha: 4, layers: [5] });
      await expect(e.load({ kind: 'path', path: dir }, { device: 'wasm', adapter: adapterFiles(deep) }))
        .rejects.toThrow('LoRA adapter (trained for fixture/tiny-decoder): it has weights for layer 5, but this model has 4 layers (0..3); it belongs to another base model.');
      expect(e.info()).toBeNull();
    } finally {
      await e.dispose();
    }
  });
});
