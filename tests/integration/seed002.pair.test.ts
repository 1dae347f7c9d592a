/**
 * Seed 002 on two full checkpoints (runSeed002Pair), checked against an independent source: the same demo
 * organism as base + adapter rows of ONE session (runSeed002). Model B is the demo model with the adapter merged
 * into its weights in float64 by the fixtures (tests/fixtures/demoOrganism.ts), written as its own fp32 ONNX, so
 * the two runs share no graph: A+B must give the same direction, detection AUROC and separation per layer, and
 * the same answers, within float32 tolerance (the LoRA branch vs merged weights: 1e-5, README). A model of
 * another shape as B is refused with a message naming what differs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine } from '../../src/engine/shared/api';
import { createEngine } from '../../src/engine/core/runtime/engine';
import { createLexicalJudge } from '../../src/engine/clients/eval/lexicalJudge';
import { scripture } from '../../src/engine/clients/eval/packs/scripture';
import { DEMO_DETECTION_PROMPTS, runSeed002, runSeed002Pair, type Seed002Options, type Seed002Result } from '../../src/engine/clients/eval/seed002';
import { writeDemoRepo } from '../fixtures/demoModel';
import { organismFiles, writeMergedOrganismRepo } from '../fixtures/demoOrganism';
import { fixtureEngine, type FixtureEngine } from '../helpers/fixtureEngine';

let dirA: string;
let dirB: string;
let one: Engine;
let a: Engine;
let b: Engine;
let tiny: FixtureEngine;
let single: Seed002Result;
let pair: Seed002Result;
const opts = (): Seed002Options => ({ questions: scripture.evaluationQuestions, detectionPrompts: DEMO_DETECTION_PROMPTS, judge: createLexicalJudge(scripture.markers!), seeds: [1] });

beforeAll(async () => {
  dirA = await mkdtemp(join(tmpdir(), 'steer-lab-pair-a-'));
  dirB = await mkdtemp(join(tmpdir(), 'steer-lab-pair-b-'));
  const cfg = { layout: 'builder' as const, attention: 'gqa' as const, dtype: 'fp32' as const };
  await writeDemoRepo(dirA, cfg);
  await writeMergedOrganismRepo(dirB, cfg);
  one = createEngine();
  await one.load({ kind: 'path', path: dirA }, { device: 'wasm', dtype: 'fp32', adapter: organismFiles() });
  a = createEngine();
  await a.load({ kind: 'path', path: dirA }, { device: 'wasm', dtype: 'fp32' });
  b = createEngine();
  await b.load({ kind: 'path', path: dirB }, { device: 'wasm', dtype: 'fp32' });
  single = await runSeed002(one, opts());
  pair = await runSeed002Pair(a, b, opts());
  console.log('seed002 pair summary', JSON.stringify(Object.fromEntries(Object.entries(pair.summary).map(([k, v]) => [k, v.mean]))),
    'auroc', JSON.stringify(pair.detection.layers.map((l) => l.scoreAuroc)), 'one session', JSON.stringify(single.detection.layers.map((l) => l.scoreAuroc)));
}, 600_000);
afterAll(async () => {
  for (const e of [one, a, b]) await e?.dispose();
  await tiny?.close();
  for (const d of [dirA, dirB]) if (d) await rm(d, { recursive: true, force: true });
});

describe('seed 002 on two models (base A, merged fine-tune B)', () => {
  it('names both models and no adapter', () => {
    expect(pair.adapter).toBeNull();
    expect(pair.model).toBe(a.info()!.id);
    expect(pair.tunedModel).toBe(b.info()!.id);
    expect(single.tunedModel).toBeNull();
  });

  it('gives the one-session adapter run\'s direction, separation and AUROC per layer', () => {
    const D = a.info()!.hiddenSize;
    expect(pair.detection.layers.map((l) => l.layer)).toEqual(single.detection.layers.map((l) => l.layer));
    for (const [l, got] of pair.detection.layers.entries()) {
      const want = single.detection.layers[l];
      expect(got.scoreAuroc).toBeCloseTo(want.scoreAuroc, 6);
      expect(Math.abs(got.separation - want.separation) / Math.abs(want.separation)).toBeLessThan(1e-3);
      const u = pair.direction.vectors.subarray(l * D, (l + 1) * D);
      const v = single.direction.vectors.subarray(l * D, (l + 1) * D);
      const norm = Math.hypot(...v);
      expect(Math.max(...u.map((x, i) => Math.abs(x - v[i]))) / norm).toBeLessThan(1e-4);
    }
    expect(pair.detection.recommendedLayer).toBe(single.detection.recommendedLayer);
  });

  it('answers as the one-session run does, condition by condition, and scores the same', () => {
    const key = (r: Seed002Result) => r.answers.map((x) => `${x.condition}|${x.seed}|${x.question}|${x.answer}`);
    expect(key(pair)).toEqual(key(single));
    for (const c of ['base', 'fineTuned', 'ablated', 'randomControl'] as const) expect(pair.summary[c].mean).toBe(single.summary[c].mean);
    expect(pair.summary.fineTuned.mean).toBeGreaterThan(pair.summary.base.mean + 25);
  });

  it('each engine reports its memory: the bytes of its files and a wasm heap that holds them', async () => {
    const m = b.info()!.memory!;
    expect(m.fileBytes).toBe((await stat(join(dirB, 'onnx/model.onnx'))).size);
    expect(m.wasmHeapBytes).toBeGreaterThanOrEqual(m.fileBytes);
    expect(m.gpuBufferBytes).toBeNull();
  });

  it('refuses a model B of another shape, naming what differs, and a model that carries an adapter', async () => {
    tiny = await fixtureEngine();
    const ti = tiny.engine.info()!;
    const ai = a.info()!;
    await expect(runSeed002Pair(a, tiny.engine, opts())).rejects.toThrow(new RegExp(`does not share model A's .*architecture: .*hidden size ${ai.hiddenSize} vs ${ti.hiddenSize}`));
    await expect(runSeed002Pair(one, b, opts())).rejects.toThrow(/Model A .* carries the LoRA adapter demo-organism/);
  });
});
