/**
 * Shared set-up of the acceptance tier: the trained demo model written by the project's writers to a
 * temporary hub folder and loaded through the public engine, the scripture trait pack, the lexical judge,
 * and the measurements the tests (and measure.ts, which prints them) are made of.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChatMessage, Engine, SteeringSpec, TapName } from '../../src/engine/shared/api';
import { createMemoryStore } from '../../src/engine/clients/eval/cache';
import { createLexicalJudge, lexicalScore, type Lexicon } from '../../src/engine/clients/eval/lexicalJudge';
import { scripture } from '../../src/engine/clients/eval/packs/scripture';
import { runPipeline, type PipelineResult } from '../../src/engine/clients/eval/pipeline';
import { cleanAnswer, runSweep, type SweepRow } from '../../src/engine/clients/eval/sweep';
import type { TraitPack } from '../../src/engine/clients/eval/traitPack';
import { contrast } from '../../src/app/quickContrast';
import { poolCapture } from '../../src/engine/clients/vectors/pooling';
import { createEngine } from '../../src/engine/core/runtime/engine';
import { collectActivations, type Conversation } from '../../src/engine/clients/vectors/collect';
import { writeDemoRepo } from '../fixtures/demoModel';

export const PACK: TraitPack = scripture;
export const LEXICON: Lexicon = scripture.markers!;

export interface DemoEngine { engine: Engine; close(): Promise<void> }

/** The lab's default variant (builder layout, GroupQueryAttention, q4) written and loaded from disk. */
export async function demoEngine(): Promise<DemoEngine> {
  const dir = await mkdtemp(join(tmpdir(), 'steer-lab-demo-'));
  await writeDemoRepo(dir, { layout: 'builder', attention: 'gqa', dtype: 'q4' });
  const engine = createEngine();
  await engine.load({ kind: 'path', path: dir }, { device: 'wasm', dtype: 'q4' });
  return { engine, close: async () => { await engine.dispose(); await rm(dir, { recursive: true, force: true }); } };
}

/** The trait pipeline with the lexical judge: the vector the lab's Trait pipeline view builds offline. */
export function scripturePipeline(engine: Engine): Promise<PipelineResult> {
  return runPipeline(engine, {
    pack: PACK, judge: createLexicalJudge(LEXICON), store: createMemoryStore(),
    settings: { maxNewTokens: 40, sampling: { temperature: 1, seed: 0 }, batchSize: 32, minPairs: 4 },
  });
}

export const layerVector = (r: PipelineResult, layer: number, D: number): Float32Array => r.vectors.vectors.slice(layer * D, (layer + 1) * D);

const chat = (user: string, system?: string): ChatMessage[] =>
  [...(system ? [{ role: 'system' as const, content: system }] : []), { role: 'user' as const, content: user }];

export interface Cell { mean: number; scores: number[]; answers: string[] }

/**
 * Mean lexical score over questions × seeds of answers generated with `steering` (one generate call per seed:
 * every row samples from its own RNG, so a seed gives each question one fixed sample).
 */
export async function scoreUnder(engine: Engine, opts: { questions: string[]; seeds: number[]; steering?: SteeringSpec[]; system?: string; maxNewTokens?: number }): Promise<Cell> {
  const answers: string[] = [];
  for (const seed of opts.seeds) {
    const res = await engine.generate({
      rows: opts.questions.map((q) => ({ prompt: chat(q, opts.system), steering: opts.steering })),
      maxNewTokens: opts.maxNewTokens ?? 40, sampling: { temperature: 1, seed },
    });
    answers.push(...res.text.map(cleanAnswer));
  }
  const scores = answers.map((a) => lexicalScore(a, LEXICON) ?? 0);
  return { mean: scores.reduce((a, b) => a + b, 0) / scores.length, scores, answers };
}

export const addAt = (layer: number, vector: Float32Array, coeff: number): SteeringSpec[] =>
  coeff === 0 ? [] : [{ layer, vector, coeff, positions: 'all' }];

export const norm = (v: ArrayLike<number>): number => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));

export interface SweepMean {
  coeff: number;
  /** Mean lexical score. */
  trait: number;
  /** Mean response projection onto unit(vector) at the layer, as the sweep measured it while steering. */
  projection: number;
  /** The same, re-read from the generated answers with no steering: how much of the direction the text itself carries. */
  reread: number;
}

/** Mean over conversations of the response-mean residual at `layer`, projected on unit(direction), with no steering. */
export async function rereadProjection(engine: Engine, convs: Conversation[], layer: number, direction: Float32Array): Promise<number> {
  const keep = convs.filter((c) => (c.assistant ?? '').trim() !== '');
  const tap = `blocks.${layer}.hook_resid_post` as TapName;
  const got = await collectActivations(engine, keep, { taps: [tap], pooling: ['response-mean'], batchSize: 32 });
  const m = got.pooled['response-mean']![tap];
  const D = direction.length;
  const n = norm(direction);
  let sum = 0;
  for (let i = 0; i < keep.length; i++) for (let j = 0; j < D; j++) sum += (m[i * D + j] * direction[j]) / n;
  return sum / keep.length;
}

/**
 * The engine's sweep (src/engine/clients/eval/sweep.ts) scored by the lexical judge, once per seed, averaged per
 * coefficient over questions × seeds: mean trait score, mean response projection while steering, and re-read.
 */
export async function sweepMeans(engine: Engine, o: { vector: Float32Array; layer: number; coeffs: number[]; questions: string[]; seeds: number[] }): Promise<SweepMean[]> {
  const judge = createLexicalJudge(LEXICON);
  const rows: SweepRow[] = [];
  for (const seed of o.seeds) {
    const s = await runSweep(engine, {
      vector: o.vector, layer: o.layer, coeffs: o.coeffs, questions: o.questions, maxNewTokens: 40,
      sampling: { temperature: 1, seed }, judge, traitTemplate: PACK.evalPrompt, control: false, batchSize: 64,
    });
    rows.push(...s.rows);
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const out: SweepMean[] = [];
  for (const coeff of o.coeffs) {
    const at = rows.filter((x) => x.coeff === coeff);
    const reread = await rereadProjection(engine, at.map((x) => ({ user: x.question, assistant: x.answer })), o.layer, o.vector);
    out.push({ coeff, trait: mean(at.map((x) => x.trait ?? 0)), projection: mean(at.map((x) => x.projection).filter(Number.isFinite)), reread });
  }
  return out;
}

/**
 * The lab's Quick contrast (src/app/actions.ts buildContrast) on its default lines: each line as a user message,
 * the residual averaged over the user's own tokens, diff of means per layer (src/app/quickContrast.ts), and the
 * layer it auto-selects to steer.
 */
export async function quickContrastVector(engine: Engine, pos: string[], neg: string[]): Promise<{ vector: Float32Array; layer: number; separation: number[] }> {
  const info = engine.info()!;
  const taps = Array.from({ length: info.numLayers }, (_, l) => `blocks.${l}.hook_resid_post` as TapName);
  const collect = async (prompts: string[]): Promise<Float32Array[][]> => {
    const byLayer: Float32Array[][] = taps.map(() => []);
    for (const p of prompts) {
      const msgs = chat(p);
      const span = (await engine.tokenize(msgs)).spans!.find((x) => x.role === 'user')!;
      const res = await engine.generate({ rows: [{ prompt: msgs }], maxNewTokens: 1, captures: taps, stopAtEos: false });
      taps.forEach((t, l) => byLayer[l].push(poolCapture(res.captures[t], [{ offset: 0, prompt: [span.start, span.end], response: [span.end, span.end] }], 'prompt-mean')));
    }
    return byLayer;
  };
  const r = contrast(await collect(pos), await collect(neg), { modelId: info.id, architecture: info.architecture, trait: 'scripture' });
  return { vector: r.set.vectors.slice(r.bestLayer * info.hiddenSize, (r.bestLayer + 1) * info.hiddenSize), layer: r.bestLayer, separation: r.separation };
}
