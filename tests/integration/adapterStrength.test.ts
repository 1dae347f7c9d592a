/**
 * atAdapterStrength: one loaded model seen as the base (0) or the fine-tuned (1) model by code written for
 * one model. Checked on the real engine: a view's rows get its strength unless they choose their own, a
 * view of a view answers to its own strength only, ids say which side, and a model without an adapter is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFixtureRepo } from '../fixtures/hubRepo';
import { fixtureConfig } from '../fixtures/weights';
import { adapterFiles, makeAdapter } from '../fixtures/lora';
import { createEngine } from '../../src/engine/core/runtime/engine';
import { atAdapterStrength, loadedEngine } from '../../src/engine/clients/eval/adapterStrength';
import type { Engine, GenerateRequest } from '../../src/engine/shared/api';

const CFG = fixtureConfig({ family: 'llama', layout: 'builder', attention: 'mha', dtype: 'fp32' });
let dir: string;
let engine: Engine;
const req = (rows: GenerateRequest['rows']): GenerateRequest => ({ rows, maxNewTokens: 6, stopAtEos: false });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'steer-lab-view-'));
  await writeFixtureRepo(CFG, dir);
  engine = createEngine();
  const adapter = makeAdapter(CFG, { modules: ['q_proj', 'o_proj', 'gate_proj'], rank: 4, alpha: 8, seed: 2, bStd: 0.5 });
  await engine.load({ kind: 'path', path: dir }, { device: 'wasm', adapter: adapterFiles(adapter) });
});
afterAll(async () => {
  await engine?.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('atAdapterStrength', () => {
  it('rows get the view\'s strength unless they set their own; views of views do not stack', async () => {
    const both = await engine.generate(req([{ prompt: 'Hello', adapterStrength: 0 }, { prompt: 'Hello', adapterStrength: 1 }]));
    expect(both.tokens[0]).not.toEqual(both.tokens[1]);
    const base = atAdapterStrength(engine, 0);
    expect((await base.generate(req([{ prompt: 'Hello' }]))).tokens[0]).toEqual(both.tokens[0]);
    expect((await base.generate(req([{ prompt: 'Hello', adapterStrength: 1 }]))).tokens[0]).toEqual(both.tokens[1]);
    const tunedOfBase = atAdapterStrength(base, 1);
    expect((await tunedOfBase.generate(req([{ prompt: 'Hello' }]))).tokens[0]).toEqual(both.tokens[1]);
    expect(tunedOfBase.info()!.id).toBe(`${engine.info()!.id}+fixture-adapter@1`);
    expect(base.info()!.id).toBe(`${engine.info()!.id}+fixture-adapter@0`);
    // Behind any view, and views of views, is the loaded engine itself.
    expect(loadedEngine(tunedOfBase)).toBe(engine);
    expect(loadedEngine(base)).toBe(engine);
    expect(loadedEngine(engine)).toBe(engine);
  });

  it('refuses a model loaded without an adapter', async () => {
    const plain = createEngine();
    try {
      await plain.load({ kind: 'path', path: dir }, { device: 'wasm' });
      expect(() => atAdapterStrength(plain, 0)).toThrow('An adapter strength was given but the model was loaded without a LoRA adapter.');
    } finally {
      await plain.dispose();
    }
  });
});
