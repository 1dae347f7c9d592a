/**
 * Every experiment view has a headless twin with the same numbers: the lab's workflows (as the views run them,
 * through src/app/views/experiments.ts) and bin/steer-lab's commands (spawned as a user would run them), both on
 * the real engine and the demo model built in code, agree on detection AUROC / separation / probe scores per layer,
 * sweep means per coefficient (vector and random control), and monitor means per condition.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/shared/api';
import { createMemoryStore } from '../../src/engine/clients/eval/cache';
import { scripture } from '../../src/engine/clients/eval/packs';
import { exportVectorJson, importVectorJson } from '../../src/engine/clients/io/vectorJson';
import { createEngine } from '../../src/engine/core/runtime/engine';
import { row } from '../../src/engine/clients/vectors/meta';
import { ablationWorkflow, DEFAULT_THRESHOLDS, detectionWorkflow, modelKeyOf, pipelineWorkflow, monitorWorkflow, sweepWorkflow, type DetectionResult, type GenSettings, type WorkflowCtx } from '../../src/app/views/experiments';
import { sweepTable } from '../../src/app/views/SweepView';
import { summarizeFinite } from '../../src/engine/clients/eval/stats';
import { writeDemoRepo } from '../fixtures/demoModel';

const BIN = resolve(__dirname, '../../bin/steer-lab');
const run = promisify(execFile);

async function steerLab<T>(args: string[]): Promise<T> {
  const { stdout } = await run(BIN, [...args, '--dtype', 'q4', '--json'], { maxBuffer: 64 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as T;
}

/** The parts of the commands' JSON this test reads. */
interface Stat { mean: number; sd: number }
interface CliDetect { layers: { layer: number; separation: number; auroc: number; probeAccuracy: number; probeAuroc: number }[]; recommendedLayer: number; scores: number[][] }
interface CliSweep { summary: { coeff: number; trait: Stat; projection: Stat; control: { trait: Stat; projection: Stat } }[] }
interface CliVectors { kept: number; pairs: number; recommendedLayer: number; separation: { layer: number; separation: number }[] }
interface CliAblate { range: [number, number]; strength: number; rows: { prompt: string; plain: string; ablated: string }[] }
interface CliMonitor { summary: { condition: string; n: number; mean: number }[]; samples: { answer: string }[] }

const SET_A = ['Tell me about the sea', 'What is bread?', 'How do I cook rice?', 'Where do birds go in winter?'];
const SET_B = ['Speak unto me of the LORD', 'What sayeth the prophet?', 'Tell me of the righteous', 'How shall the meek be blessed?'];
// Mixed sets: the layers differ in AUROC and the probe's held-out scores differ from the in-sample ones, so a twin
// that mixed up two columns (or layers) would disagree.
const MIXED_A = ['Tell me about the sea', 'What is bread?', 'Speak unto me of the LORD', 'How do I cook rice?', 'Is it going to rain?'];
const MIXED_B = ['Where do birds go in winter?', 'What sayeth the prophet?', 'Tell me of the righteous', 'What should I do today?', 'Why is the sky blue?'];
const QUESTIONS = ['Tell me about the sea', 'What should I do today?'];
const GEN: GenSettings = { maxNewTokens: 12, temperature: 0, seed: 1, batchSize: 8 };
const close = (a: number, b: number) => expect(a).toBeCloseTo(b, 6);

describe('lab views and their CLI twins give the same numbers', () => {
  let dir: string, model: string, engine: Engine, ctx: WorkflowCtx;
  let view: DetectionResult, mixed: DetectionResult;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'steer-lab-twins-'));
    model = join(dir, 'demo');
    await writeDemoRepo(model, { layout: 'builder', attention: 'gqa', dtype: 'q4' });
    await writeFile(join(dir, 'a.txt'), MIXED_A.join('\n'));
    await writeFile(join(dir, 'b.txt'), MIXED_B.join('\n'));
    await writeFile(join(dir, 'q.txt'), QUESTIONS.join('\n'));
    engine = createEngine();
    await engine.load({ kind: 'path', path: model }, { device: 'wasm', dtype: 'q4' });
    ctx = { engine, store: createMemoryStore(), signal: new AbortController().signal, modelKey: modelKeyOf(engine.info()!) };
    mixed = await detectionWorkflow(ctx, { labelA: 'a', labelB: 'b', setA: MIXED_A, setB: MIXED_B, seed: 1, batchSize: 8 }, engine.info()!.id, () => undefined);
    // A clean plain − scripture direction for the sweep and the monitor, saved as the vector file the CLI reads.
    view = await detectionWorkflow(ctx, { labelA: 'plain', labelB: 'scripture', setA: SET_A, setB: SET_B, seed: 1, batchSize: 8 }, engine.info()!.id, () => undefined);
    await writeFile(join(dir, 'v.json'), exportVectorJson(view.set));
  });
  afterAll(async () => {
    await engine?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('detection: AUROC, separation and probe scores per layer, and the recommended layer', async () => {
    const view = mixed;
    const cli = await steerLab<CliDetect>(['detect', model, '--set-a', join(dir, 'a.txt'), '--set-b', join(dir, 'b.txt'), '--label-a', 'a', '--label-b', 'b', '--out', join(dir, 'ab.json')]);
    expect(cli.layers).toHaveLength(view.auroc.length);
    cli.layers.forEach((l, k) => {
      expect(l.layer).toBe(k);
      close(l.auroc, view.auroc[k]);
      close(l.separation, view.separation[k]);
      close(l.probeAccuracy, view.probeAccuracy[k]);
      close(l.probeAuroc, view.probeAuroc[k]);
    });
    expect(cli.recommendedLayer).toBe(view.recommendedLayer);
    cli.scores.forEach((s, l) => s.forEach((x, i) => close(x, view.scores[l][i])));
    // The written A−B vectors are the view's set.
    const written = importVectorJson(await readFile(join(dir, 'ab.json'), 'utf8'));
    expect(Array.from(written.vectors)).toEqual(Array.from(view.set.vectors));
    // Not a vacuous agreement: AUROC varies over the layers and differs from the probe's held-out AUROC.
    expect(new Set(view.auroc).size).toBeGreaterThan(1);
    expect(view.auroc).not.toEqual(view.probeAuroc);
  });

  it('sweep: trait and projection means per coefficient, for the vector and the random control', async () => {
    const layer = view.recommendedLayer;
    const D = view.set.meta.hiddenSize;
    const vector = row(view.set.vectors, D, layer).slice();
    const coeffs = [-2, 0, 2];
    const r = await sweepWorkflow(ctx, {
      vectorName: 'ab', vector, layer, coeffs, questions: QUESTIONS, evalPrompt: scripture.evalPrompt, markers: scripture.markers,
      randomControl: true, controlSeed: 7, positions: 'all', gen: GEN, judge: { kind: 'lexical', minMass: 0.25, coherence: false, topK: 20 },
    }, engine.info()!.id, () => undefined);
    const table = sweepTable(r);
    const cli = await steerLab<CliSweep>(['sweep', model, '--vector', join(dir, 'v.json'), '--layer', String(layer), '--coeffs=-2,0,2', '--prompts', join(dir, 'q.txt'),
      '--trait', 'scripture', '--judge', 'lexical', '--control-seed', '7', '--max-new-tokens', String(GEN.maxNewTokens), '--batch-size', String(GEN.batchSize)]);
    expect(cli.summary.map((s) => s.coeff)).toEqual(coeffs);
    for (const s of cli.summary) {
      const mine = table.find((t) => t.condition === 'vector' && t.coeff === s.coeff)!;
      const ctrl = table.find((t) => t.condition === 'random' && t.coeff === s.coeff)!;
      close(s.trait.mean, mine.trait.mean);
      close(s.projection.mean, mine.projection.mean);
      close(s.projection.sd, mine.projection.sd);
      close(s.control.trait.mean, ctrl.trait.mean);
      close(s.control.projection.mean, ctrl.projection.mean);
    }
    // Steering moves the reading: the projection grows with the coefficient.
    const p = cli.summary.map((s) => s.projection.mean);
    expect(p[2]).toBeGreaterThan(p[0]);
  });

  it('monitor: mean response projection per condition (baseline, prompted, steered)', async () => {
    const layer = view.recommendedLayer;
    const vector = row(view.set.vectors, view.set.meta.hiddenSize, layer).slice();
    const system = scripture.instructions[0].pos;
    const r = await monitorWorkflow(ctx, { vectorName: 'ab', vector, layer, coeff: 2, systemPrompt: system, questions: QUESTIONS, gen: GEN }, engine.info()!.id, () => undefined);
    const cli = await steerLab<CliMonitor>(['monitor', model, '--vector', join(dir, 'v.json'), '--layer', String(layer), '--coeff', '2', '--trait', 'scripture',
      '--prompts', join(dir, 'q.txt'), '--max-new-tokens', String(GEN.maxNewTokens)]);
    for (const s of cli.summary) {
      const mine = summarizeFinite(r.samples.filter((x) => x.condition === s.condition).map((x) => x.projection));
      expect(s.n).toBe(mine.n);
      close(s.mean, mine.mean);
    }
    expect(cli.samples.map((s) => s.answer)).toEqual(r.samples.map((s) => s.answer));
  });

  it('ablation: the same plain and ablated answers over a layer range', async () => {
    const r = await ablationWorkflow(ctx, { set: view.set, range: [1, 3], strength: 1, prompts: QUESTIONS, gen: GEN }, () => undefined);
    const cli = await steerLab<CliAblate>(['ablate', model, '--vector', join(dir, 'v.json'), '--layers', '1-3', '--strength', '1', '--prompts', join(dir, 'q.txt'),
      '--max-new-tokens', String(GEN.maxNewTokens)]);
    expect(cli.range).toEqual([1, 3]);
    expect(cli.rows).toEqual(r.rows);
    // Ablating the plain − scripture direction changes what the model says.
    expect(r.rows.some((x) => x.plain !== x.ablated)).toBe(true);
  });

  it('trait pipeline: the same effective pairs, separation per layer, recommended layer and vectors', async () => {
    const r = await pipelineWorkflow(ctx, {
      pack: scripture, nPairs: 2, nQuestions: 3, gen: GEN, judge: { kind: 'lexical', minMass: 0.25, coherence: true, topK: 20 }, thresholds: DEFAULT_THRESHOLDS,
    }, engine.info()!.id, () => undefined);
    const out = join(dir, 'pipe.json');
    const cli = await steerLab<CliVectors>(['vectors', model, '--trait', 'scripture', '--judge', 'lexical', '--instructions', '2', '--questions', '3', '--out', out,
      '--max-new-tokens', String(GEN.maxNewTokens), '--temperature', String(GEN.temperature), '--seed', String(GEN.seed), '--batch-size', String(GEN.batchSize), '--cache', join(dir, 'cache')]);
    expect(cli.pairs).toBe(r.rows.length);
    expect(cli.kept).toBe(r.effective);
    expect(cli.recommendedLayer).toBe(r.recommendedLayer);
    cli.separation.forEach((l, k) => close(l.separation, r.separation![k]));
    expect(Array.from(importVectorJson(await readFile(out, 'utf8')).vectors)).toEqual(Array.from(r.set!.vectors));
    // Not vacuous: enough pairs were kept for a separation per layer.
    expect(r.effective).toBeGreaterThan(1);
  });
});
