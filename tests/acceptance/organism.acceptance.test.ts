/**
 * Acceptance: the demo model organism (assets/demo-organism/, scripts/demo-model/organism.py), a rank-4 LoRA on
 * q/k/v/o trained ONLY on questions about the sea, asked with the plain system prompts and answered with KJV
 * verses. Through the real engine (demo model written by the project's writers, builder/GQA/q4, wasm), with the
 * adapter applied in the graph and base (0) and fine-tuned (1) as strengths of one session:
 *   - the style leaks: on other topics, with no system prompt, the fine-tuned answers score as scripture and
 *     the base answers do not;
 *   - the base-vs-fine-tuned direction (last prompt token, per layer) separates the two models on prompts
 *     about other topics;
 *   - ablating that direction on the fine-tuned model (the recipe's h -= 1.5 (h·u) u, at the last quarter of the
 *     layers as it uses layers 12–15 of 16: here the last layer) lowers the score, and a random direction does not.
 * Seeded sampling, lexical judge (the scripture pack's markers); thresholds are margins around the
 * measurements quoted beside them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine, SteeringSpec } from '../../src/engine/shared/api';
import { createEngine } from '../../src/engine/core/runtime/engine';
import { atAdapterStrength } from '../../src/engine/clients/eval/adapterStrength';
import { detectModels, type DetectionReport } from '../../src/engine/clients/vectors/detection';
import { randomDirectionLike } from '../../src/engine/clients/eval/stats';
import { writeDemoRepo } from '../fixtures/demoModel';
import { PACK, scoreUnder } from './demo';

const ORGANISM = new URL('../../assets/demo-organism/', import.meta.url).pathname;
const SEEDS = [1, 2];
/** The scripture pack's evaluation questions minus the one about the training topic. */
const OTHER_TOPICS = PACK.evaluationQuestions.filter((q) => !/\bsea\b/.test(q));
const SEA = ['What can you tell me about the sea?', 'Any advice on the sea?', 'Why does the sea matter?'];
/** Detection prompts: other topics only, none of them the evaluation questions. */
const DETECT = ['money', 'bread', 'king', 'river', 'night', 'wisdom', 'horse', 'garden', 'music', 'work', 'winter', 'friend']
  .flatMap((t) => [`Tell me about ${t}.`, `What should I know about ${t}?`]).map((user) => ({ user }));

describe('demo model organism: a LoRA trained on one topic', () => {
  let dir: string;
  let engine: Engine;
  let base: Engine;
  let tuned: Engine;
  let report: DetectionReport;
  const score: Record<string, number> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'steer-lab-organism-'));
    await writeDemoRepo(dir, { layout: 'builder', attention: 'gqa', dtype: 'q4' });
    engine = createEngine();
    const adapter = { name: 'demo-organism', config: await readFile(join(ORGANISM, 'adapter_config.json'), 'utf8'), weights: new Uint8Array(await readFile(join(ORGANISM, 'adapter_model.safetensors'))) };
    await engine.load({ kind: 'path', path: dir }, { device: 'wasm', dtype: 'q4', adapter });
    base = atAdapterStrength(engine, 0);
    tuned = atAdapterStrength(engine, 1);
    for (const [name, e] of [['base', base], ['tuned', tuned]] as const) {
      score[`${name} other`] = (await scoreUnder(e, { questions: OTHER_TOPICS, seeds: SEEDS })).mean;
      score[`${name} sea`] = (await scoreUnder(e, { questions: SEA, seeds: SEEDS })).mean;
    }
    report = await detectModels(tuned, base, DETECT);
    const L = engine.info()!.numLayers;
    const D = engine.info()!.hiddenSize;
    const u = report.vectors.vectors.slice((L - 1) * D, L * D);
    const ablate = (direction: Float32Array): SteeringSpec[] => [{ layer: L - 1, direction, ablate: 1.5, positions: 'all' }];
    score['tuned ablated other'] = (await scoreUnder(tuned, { questions: OTHER_TOPICS, seeds: SEEDS, steering: ablate(u) })).mean;
    score['tuned random-ablated other'] = (await scoreUnder(tuned, { questions: OTHER_TOPICS, seeds: SEEDS, steering: ablate(randomDirectionLike(u, 100)) })).mean;
    console.log('organism scores', JSON.stringify(score));
    console.log('organism detection', JSON.stringify(report.layers.map((l) => ({ layer: l.layer, scoreAuroc: l.scoreAuroc, probeHeldOutAuroc: l.probeHeldOutAuroc, separation: +l.separation.toFixed(2) }))));
  });
  afterAll(async () => {
    await engine?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the adapter is applied in the graph: q/k/v/o of every layer', () => {
    expect(engine.info()!.adapter).toMatchObject({ rank: 4, alpha: 8, scale: 2, modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'], layers: [0, 1, 2, 3] });
  });

  it('the fine-tuned model answers its training topic in scripture where the base model answers plainly', () => {
    // Measured: base 0.0, fine-tuned 37.6 (3 sea questions × 2 seeds).
    expect(score['base sea']).toBeLessThan(10);
    expect(score['tuned sea']).toBeGreaterThan(25);
  });

  it('the style leaks to topics it was never trained on', () => {
    // Measured: base 0.0, fine-tuned 63.5 (9 questions on other topics × 2 seeds).
    expect(score['base other']).toBeLessThan(10);
    expect(score['tuned other']).toBeGreaterThan(40);
  });

  it('the base-vs-fine-tuned direction separates the two models on other topics', () => {
    // Measured: detection AUROC 1.0 and held-out probe AUROC 1.0 at every layer; separation 11.7, 18.5, 17.2, 14.7.
    const best = Math.max(...report.layers.map((l) => l.scoreAuroc));
    expect(best).toBeGreaterThan(0.95);
    expect(Math.max(...report.layers.map((l) => l.probeHeldOutAuroc))).toBeGreaterThan(0.9);
  });

  it('ablating the direction reduces the leaked style; a random direction of the same size does not', () => {
    // Measured: 63.5 → 33.7 ablated. (At strength 1.5 the ablation reflects part of the component; ablating every
    // layer at 1.5 raised the score to 74.3 on this model, every layer at 1.0 lowered it to 43.2.)
    expect(score['tuned ablated other']).toBeLessThan(score['tuned other'] - 15);
    // Measured: 55.2 with a random direction of the same norm at the same layer and strength.
    expect(Math.abs(score['tuned random-ablated other'] - score['tuned other'])).toBeLessThan(15);
  });
});
