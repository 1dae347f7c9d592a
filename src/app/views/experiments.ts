/**
 * The experiment views' workflows over the Engine interface (in the browser: the worker engine), built from the
 * engine's evaluation modules: collectActivations (chat-template spans), the local judge + scoreAnswers,
 * diffInMeans / separationByLayer / probeByLayer, and cachedStep keys on a StepStore.
 *
 * Every workflow is sequential (the worker engine lets the latest generate win, so two generates in flight
 * would cancel each other), checks its AbortSignal between batches and passes it to every engine call.
 * Generation and judging are cached per batch, so a cancelled run restarted with the same inputs skips what
 * it already did (and says so in its progress).
 */
import type { ChatMessage, Engine, GenerateRow, ModelInfo, SteeringSpec, TapName } from '../../engine/api';
import { EngineError } from '../../engine/errors';
import { stepKey, type StepStore } from '../../engine/eval/cache';
import { COHERENCE_TEMPLATE } from '../../engine/eval/judge';
import { PipelineStepError, runPipeline as enginePipeline, type PartialPair, type PipelinePartial, type PipelineResult as EnginePipelineResult, type PipelineStepEvent } from '../../engine/eval/pipeline';
import { cleanAnswer, runSweep as engineSweep, SweepScoringError, type SweepResult as EngineSweepResult } from '../../engine/eval/sweep';
import { toErrorData, type ErrorData } from '../../engine/errors';
import { createLocalJudge } from '../../engine/eval/localJudge';
import { createLexicalJudge, type Lexicon } from '../../engine/eval/lexicalJudge';
import { judgeLabel, judgesCoherence, type Judge } from '../../engine/eval/scoring';
import type { TraitPack } from '../../engine/eval/traitPack';
import { collectActivations, type Conversation } from '../../engine/vectors/collect';
import type { VectorSet } from '../../engine/vectors/meta';
import { detectConditions } from '../../engine/vectors/detection';
import { pairVerdict, type Thresholds } from './logic';

/* ---------- shared plumbing ---------- */

export type StepStatus = 'pending' | 'running' | 'done' | 'cached' | 'error' | 'cancelled';

/** One step's progress as the views show it: `fresh` rows were computed now, `reused` came from the cache. */
export interface StepProgress {
  name: string;
  label: string;
  status: StepStatus;
  loaded: number;
  total: number;
  fresh: number;
  reused: number;
  unit: string;
  note?: string;
  ms?: number;
}

export interface GenSettings {
  maxNewTokens: number;
  temperature: number;
  seed: number;
  batchSize: number;
}

/** auto: the lexical judge when the pack has marker words, else the local model; or either one explicitly. */
export type JudgeKind = 'auto' | 'lexical' | 'local';

export interface JudgeSettings {
  /** Which judge scores (default auto). */
  kind?: JudgeKind;
  /** Least probability mass on number tokens for a score (0.25 in the persona-vector judge). */
  minMass: number;
  /** Also judge coherence (a second judge prompt per answer). Off: coherence is not scored and not filtered on. */
  coherence: boolean;
  /** Log-probabilities read per judge step (1..100; the persona-vector judge reads 20). */
  topK: number;
  /** Pairs whose answers the judge could not score pass the filter (otherwise they are dropped). */
  keepUnscored?: boolean;
}

export interface Ctx {
  engine: Engine;
  store: StepStore;
  signal: AbortSignal;
  /** Model identity for cache keys: id + dtype (a different quantisation generates different text). */
  modelKey: string;
}

export const modelKeyOf = (info: ModelInfo, name?: string | null) => `${name ?? info.id}#${info.dtype}#${info.numLayers}x${info.hiddenSize}`;

function checkAbort(signal: AbortSignal): void {
  if (signal.aborted) throw new EngineError('cancelled', 'The experiment was cancelled.');
}

/** cachedStep that also says whether it hit. */
async function cached<T>(ctx: Ctx, step: string, inputs: unknown, compute: () => Promise<T>): Promise<{ value: T; hit: boolean }> {
  const key = await stepKey(step, inputs);
  const hit = await ctx.store.get(key);
  if (hit !== undefined) return { value: hit as T, hit: true };
  const value = await compute();
  checkAbort(ctx.signal);
  await ctx.store.set(key, value);
  return { value, hit: false };
}

function info(engine: Engine): ModelInfo {
  const i = engine.info();
  if (!i) throw new EngineError('not-loaded', 'Load a model first (left panel).');
  return i;
}

/** A row prompt: chat messages when the model has a template, plain text otherwise. */
export function promptOf(i: ModelInfo, user: string, system?: string): string | ChatMessage[] {
  if (!i.hasChatTemplate) return system ? `${system}\n\n${user}` : user;
  return system ? [{ role: 'system', content: system }, { role: 'user', content: user }] : [{ role: 'user', content: user }];
}

interface GenRow { system?: string; user: string; steering?: SteeringSpec[] }

/** Coherence prompts all start with this (scoreAnswers fills COHERENCE_TEMPLATE). */
const COHERENCE_HEAD = COHERENCE_TEMPLATE.slice(0, COHERENCE_TEMPLATE.indexOf('{question}'));

/**
 * With coherence judging off, coherence prompts get no score (null, "not judged") without calling the model:
 * the coherence prompt is long (it does not fit small models' context) and doubles the judge's work.
 */
export function withCoherence(judge: Judge, coherence: boolean): Judge {
  if (coherence) return judge;
  return {
    id: `${judge.id}#trait-only`,
    label: judge.label,
    async scoreMany(prompts, signal) {
      const idx = prompts.flatMap((q, i) => (q.startsWith(COHERENCE_HEAD) ? [] : [i]));
      const got = idx.length ? await judge.scoreMany(idx.map((i) => prompts[i]), signal) : [];
      const out = new Array<number | null>(prompts.length).fill(null);
      idx.forEach((i, k) => { out[i] = got[k]; });
      return out;
    },
  };
}

/**
 * The judge a view runs with: the lexical judge over the pack's markers, or the loaded model (trait-only when
 * coherence is off). Its label is what the view shows as "scored by".
 */
export async function judgeFor(engine: Engine, j: JudgeSettings, markers: Lexicon | undefined): Promise<Judge> {
  const kind = j.kind ?? 'auto';
  if (kind === 'lexical' && !markers) throw new EngineError('bad-input', 'This trait pack has no marker words, so the lexical judge cannot score it; add markers to the pack or choose the local model judge.');
  if (kind !== 'local' && markers) return createLexicalJudge(markers);
  const local = await createLocalJudge(engine, { minMass: j.minMass, topK: j.topK, batchSize: 16 });
  // The local judge's id names model, format and top-k but not the number-mass floor, which changes its scores.
  const judge: Judge = { id: `${local.id}#m${j.minMass}`, label: 'local model', scoreMany: (prompts, signal) => local.scoreMany(prompts, signal) };
  return withCoherence(judge, j.coherence);
}

/** Steering specs as cache-key data (typed arrays hash by content). */
const steeringKey = (s?: SteeringSpec[]) => s?.map((x) => ({ ...x }));

/** Generates rows in batches, each batch cached; calls onBatch(rowsDone, fresh) after each. */
async function generateCached(ctx: Ctx, rows: GenRow[], g: GenSettings, step: string, onBatch: (done: number, fresh: number, reused: number) => void): Promise<{ texts: string[]; fresh: number; reused: number }> {
  const i = info(ctx.engine);
  const texts: string[] = [];
  let fresh = 0, reused = 0;
  const B = Math.max(1, Math.floor(g.batchSize));
  for (let b0 = 0; b0 < rows.length; b0 += B) {
    checkAbort(ctx.signal);
    const part = rows.slice(b0, b0 + B);
    const inputs = {
      model: ctx.modelKey, maxNewTokens: g.maxNewTokens, temperature: g.temperature, seed: g.seed,
      rows: part.map((r) => ({ system: r.system ?? null, user: r.user, steering: steeringKey(r.steering) ?? null })),
    };
    const { value, hit } = await cached(ctx, step, inputs, async () => {
      const genRows: GenerateRow[] = part.map((r) => ({ prompt: promptOf(i, r.user, r.system), steering: r.steering }));
      const res = await ctx.engine.generate({ rows: genRows, maxNewTokens: g.maxNewTokens, sampling: { temperature: g.temperature, seed: g.seed } }, { signal: ctx.signal });
      // Decoded text keeps special tokens; a trailing end-of-turn marker is not part of the answer.
      return res.text.map(cleanAnswer);
    });
    texts.push(...value);
    if (hit) reused += part.length; else fresh += part.length;
    onBatch(texts.length, fresh, reused);
  }
  return { texts, fresh, reused };
}

/** Mean response projection at `layer` onto unit(direction), re-reading each answer without steering; NaN for an empty answer. */
async function responseProjections(ctx: Ctx, convs: Conversation[], layer: number, direction: Float32Array, batchSize: number): Promise<number[]> {
  const out = new Array<number>(convs.length).fill(NaN);
  const keep = convs.map((c, k) => [c, k] as const).filter(([c]) => (c.assistant ?? '').trim().length > 0);
  if (!keep.length) return out;
  const tap = `blocks.${layer}.hook_resid_post` as TapName;
  const { value } = await cached(ctx, 'project', { model: ctx.modelKey, layer, convs: keep.map(([c]) => c) }, async () => {
    const col = await collectActivations(ctx.engine, keep.map(([c]) => c), { taps: [tap], pooling: ['response-mean'], batchSize, signal: ctx.signal });
    return col.pooled['response-mean']![tap];
  });
  const D = direction.length;
  let n2 = 0;
  for (const x of direction) n2 += x * x;
  const inv = n2 > 0 ? 1 / Math.sqrt(n2) : 0;
  keep.forEach(([, k], r) => {
    let s = 0;
    for (let j = 0; j < D; j++) s += value[r * D + j] * direction[j];
    out[k] = s * inv;
  });
  return out;
}

/* ---------- trait pipeline: generate → score → filter → extract ---------- */

export interface PipelineConfig {
  pack: TraitPack;
  /** How many instruction pairs and extraction questions to use (every pair × every question). */
  nPairs: number;
  nQuestions: number;
  gen: GenSettings;
  judge: JudgeSettings;
  thresholds: Thresholds;
}

export interface PipelineRow {
  pair: number;
  question: string;
  pos: string;
  neg: string;
  posText: string;
  negText: string;
  posTrait: number | null;
  negTrait: number | null;
  posCoherence: number | null;
  negCoherence: number | null;
  /** Why the pair was dropped; null when kept. */
  verdict: string | null;
}

export interface PipelineResult {
  trait: string;
  modelId: string;
  /** Which judge scored (its label); absent in results recorded before judges had labels. */
  judge?: string;
  rows: PipelineRow[];
  effective: number;
  /** Present once extraction ran. */
  set?: VectorSet;
  separation?: number[];
  recommendedLayer?: number;
  thresholds: Thresholds;
  /** Set when a step failed: the rows are those computed before it (a pair not yet scored has null scores). */
  error?: ErrorData;
}

export const PIPELINE_STEPS: { name: string; label: string; unit: string }[] = [
  { name: 'generate', label: 'Generate', unit: 'rows' },
  { name: 'score', label: 'Score', unit: 'answers' },
  { name: 'filter', label: 'Filter', unit: 'pairs' },
  { name: 'extract', label: 'Extract', unit: 'samples' },
];

/**
 * The engine's pipeline (src/engine/eval/pipeline.ts) with the view's settings: the local judge, the user's
 * thresholds, at least 2 effective pairs (separation needs them); its per-step events become the view's steps.
 */
export async function runPipeline(ctx: Ctx, cfg: PipelineConfig, modelId: string, onStep: (s: StepProgress) => void): Promise<PipelineResult> {
  info(ctx.engine);
  const last: Record<string, StepProgress> = {};
  const t0: Record<string, number> = {};
  const show = (name: string, patch: Partial<StepProgress>): void => {
    const def = PIPELINE_STEPS.find((x) => x.name === name)!;
    t0[name] ??= performance.now();
    const prev: StepProgress = last[name] ?? { name, label: def.label, unit: def.unit, status: 'running', loaded: 0, total: 0, fresh: 0, reused: 0 };
    last[name] = { ...prev, ...patch, ms: performance.now() - t0[name] };
    onStep(last[name]);
  };
  const fromEngine = (e: PipelineStepEvent): void => {
    if (e.step === 'sweep') return;
    const status: StepStatus = !e.done ? 'running' : e.fresh === 0 && e.reused > 0 ? 'cached' : 'done';
    show(e.step, { status, loaded: e.loaded, total: e.total, fresh: e.fresh, reused: e.reused, ...(e.kept !== undefined ? { note: `${e.kept} of ${e.total} pairs effective` } : {}) });
  };
  const t = cfg.thresholds;
  let r: EnginePipelineResult;
  let judge: Judge;
  try {
    judge = await judgeFor(ctx.engine, { ...cfg.judge, coherence: true }, cfg.pack.markers);
    r = await enginePipeline(ctx.engine, {
      pack: cfg.pack, judge, store: ctx.store, signal: ctx.signal, modelKey: ctx.modelKey, onStep: fromEngine,
      settings: {
        maxInstructions: Math.max(1, cfg.nPairs), maxQuestions: Math.max(1, cfg.nQuestions),
        maxNewTokens: cfg.gen.maxNewTokens, sampling: { temperature: cfg.gen.temperature, seed: cfg.gen.seed },
        batchSize: cfg.gen.batchSize, judgeBatchSize: Math.max(2, cfg.gen.batchSize),
        posMin: t.posMin, negMax: t.negMax, minCoherence: t.coherenceMin,
        judgeCoherence: cfg.judge.coherence, keepUnscored: !!cfg.judge.keepUnscored, minPairs: 2, pooling: 'response-mean',
      },
    });
  } catch (e) {
    const cancelled = (e as { code?: string })?.code === 'cancelled' || ctx.signal.aborted;
    // The failing step is the running one, else the next not started (e.g. extraction refused for too few pairs).
    const names = PIPELINE_STEPS.map((x) => x.name);
    const name = names.find((n) => last[n]?.status === 'running') ?? names.find((n) => !last[n]);
    if (name) show(name, cancelled ? { status: 'cancelled', note: 'Cancelled: finished work is cached; run again to resume.' } : { status: 'error', note: (e as Error)?.message });
    // A failed step: show every pair computed before it, with the error (a partial result is never recorded).
    if (e instanceof PipelineStepError) return { ...viewResult(e.partial), error: toErrorData(e) };
    throw e;
  }
  return viewResult(r);

  function viewResult(r: Pick<PipelinePartial, 'pairs' | 'vectors' | 'separation'>): PipelineResult {
    const rows = r.pairs.map(viewRow);
    const kept = r.pairs.filter((p) => p.kept).length;
    const set: VectorSet | undefined = r.vectors && { ...r.vectors, meta: { ...r.vectors.meta, modelId, notes: `trait pipeline: ${kept} effective pairs of ${rows.length}` } };
    return {
      trait: cfg.pack.name, modelId, judge: judgeLabel(judge), rows, effective: kept, thresholds: t, ...(set ? { set } : {}),
      separation: r.separation?.layers.map((l) => (Number.isFinite(l.separation) ? l.separation : 1e6)),
      recommendedLayer: r.separation?.recommendedLayer,
    };
  }

  function viewRow(p: PartialPair): PipelineRow {
    const s = { posTrait: p.posScore?.trait ?? null, negTrait: p.negScore?.trait ?? null, posCoherence: p.posScore?.coherence ?? null, negCoherence: p.negScore?.coherence ?? null, posText: p.pos, negText: p.neg };
    const ins = cfg.pack.instructions[p.instruction];
    // The engine decides what is kept; pairVerdict only words why a pair was dropped.
    const verdict = p.kept === undefined ? (p.posScore ? 'not filtered: the run stopped' : 'not scored: the run stopped')
      : p.kept ? null : pairVerdict(s, t, cfg.judge.coherence && judgesCoherence(judge), !!cfg.judge.keepUnscored) ?? 'filtered out';
    return { pair: p.instruction, question: p.question, pos: ins.pos, neg: ins.neg, ...s, verdict };
  }
}

/* ---------- coefficient sweep ---------- */

export interface SweepConfig {
  vectorName: string;
  vector: Float32Array;
  layer: number;
  coeffs: number[];
  questions: string[];
  /** Judge prompt with {question}/{answer}. */
  evalPrompt: string;
  /** The pack's marker words, for the lexical judge. */
  markers?: Lexicon;
  randomControl: boolean;
  controlSeed: number;
  positions: 'all' | 'response';
  gen: GenSettings;
  judge: JudgeSettings;
}

export interface SweepSample {
  condition: 'vector' | 'random';
  coeff: number;
  question: string;
  answer: string;
  trait: number | null;
  coherence: number | null;
  projection: number;
}

export interface SweepResult {
  vectorName: string;
  /** Which judge scored (its label); absent in results recorded before judges had labels. */
  judge?: string;
  layer: number;
  coeffs: number[];
  questions: string[];
  modelId: string;
  samples: SweepSample[];
  /** Set when scoring failed: the samples are the generated answers and projections, unscored. */
  error?: ErrorData;
}

/**
 * The engine's sweep (src/engine/eval/sweep.ts: batched rows with per-row steering, the projection at the steered
 * layer, the random-direction control, trait + coherence by the judge), cached as one step on the StepStore.
 */
export async function runSweep(ctx: Ctx, cfg: SweepConfig, modelId: string, onStep: (s: StepProgress) => void): Promise<SweepResult> {
  info(ctx.engine);
  const judge = await judgeFor(ctx.engine, cfg.judge, cfg.markers);
  const total = cfg.coeffs.length * cfg.questions.length * (cfg.randomControl ? 2 : 1);
  let p: StepProgress = { name: 'sweep', label: 'Generate, project & score', unit: 'rows', status: 'running', loaded: 0, total, fresh: 0, reused: 0 };
  const t0 = performance.now();
  const up = (patch: Partial<StepProgress>) => { p = { ...p, ...patch, ms: performance.now() - t0 }; onStep(p); };
  up({});
  try {
    const inputs = {
      model: ctx.modelKey, vector: cfg.vector, layer: cfg.layer, coeffs: cfg.coeffs, questions: cfg.questions, positions: cfg.positions,
      control: cfg.randomControl, controlSeed: cfg.controlSeed, gen: cfg.gen, judge: judge.id, evalPrompt: cfg.evalPrompt,
    };
    const { value, hit } = await cached(ctx, 'view-sweep', inputs, () => engineSweep(ctx.engine, {
      vector: cfg.vector, layer: cfg.layer, coeffs: cfg.coeffs, questions: cfg.questions, positions: cfg.positions,
      maxNewTokens: cfg.gen.maxNewTokens, batchSize: cfg.gen.batchSize, sampling: { temperature: cfg.gen.temperature, seed: cfg.gen.seed },
      judge, traitTemplate: cfg.evalPrompt, control: cfg.randomControl, controlSeed: cfg.controlSeed, signal: ctx.signal,
      onProgress: (e) => up({ loaded: e.loaded, fresh: e.loaded, note: e.detail === 'generating' && e.loaded === e.total ? 'scoring with the judge…' : undefined }),
    }));
    up(hit ? { status: 'cached', loaded: total, fresh: 0, reused: total, note: undefined } : { status: 'done', loaded: total, fresh: total, note: undefined });
    return viewResult(value);
  } catch (e) {
    // Scoring failed after generation: keep and show every row computed (a partial result is never cached).
    if (e instanceof SweepScoringError) {
      up({ status: 'error', note: 'answers kept; scoring failed' });
      return { ...viewResult(e.partial), error: toErrorData(e) };
    }
    up({ status: ctx.signal.aborted || (e as { code?: string })?.code === 'cancelled' ? 'cancelled' : 'error' });
    throw e;
  }

  function viewResult(value: EngineSweepResult): SweepResult {
    return {
      vectorName: cfg.vectorName, judge: judgeLabel(judge), layer: cfg.layer, coeffs: [...new Set(cfg.coeffs)].sort((x, y) => x - y), questions: cfg.questions, modelId,
      samples: value.rows.map((r) => ({ condition: r.control ? 'random' : 'vector', coeff: r.coeff, question: r.question, answer: r.answer, trait: r.trait, coherence: r.coherence, projection: r.projection })),
    };
  }
}

/* ---------- projection monitoring ---------- */

export type MonitorCondition = 'baseline' | 'prompted' | 'steered';

export interface MonitorConfig {
  vectorName: string;
  vector: Float32Array;
  layer: number;
  coeff: number;
  /** The pack's positive system prompt for the prompted condition. */
  systemPrompt: string;
  questions: string[];
  gen: GenSettings;
}

export interface MonitorSample { condition: MonitorCondition; question: string; answer: string; projection: number }
export interface MonitorResult { vectorName: string; layer: number; coeff: number; systemPrompt: string; modelId: string; samples: MonitorSample[] }

export async function runMonitor(ctx: Ctx, cfg: MonitorConfig, modelId: string, onStep: (s: StepProgress) => void): Promise<MonitorResult> {
  info(ctx.engine);
  const conds: { c: MonitorCondition; system?: string; steering?: SteeringSpec[] }[] = [
    { c: 'baseline' },
    { c: 'prompted', system: cfg.systemPrompt },
    { c: 'steered', steering: [{ layer: cfg.layer, vector: cfg.vector, coeff: cfg.coeff, positions: 'all' }] },
  ];
  const total = conds.length * cfg.questions.length;
  let p: StepProgress = { name: 'monitor', label: 'Generate & project', unit: 'answers', status: 'running', loaded: 0, total, fresh: 0, reused: 0 };
  const t0 = performance.now();
  const up = (patch: Partial<StepProgress>) => { p = { ...p, ...patch, ms: performance.now() - t0 }; onStep(p); };
  up({});
  const samples: MonitorSample[] = [];
  try {
    for (const cond of conds) {
      const gen = await generateCached(ctx, cfg.questions.map((q) => ({ user: q, system: cond.system, steering: cond.steering })), cfg.gen, 'monitor-generate', () => undefined);
      // Projections are read without steering, with the condition's own system prompt in context.
      const proj = await responseProjections(ctx, cfg.questions.map((q, k) => ({ system: cond.system, user: q, assistant: gen.texts[k] })), cfg.layer, cfg.vector, cfg.gen.batchSize);
      cfg.questions.forEach((q, k) => samples.push({ condition: cond.c, question: q, answer: gen.texts[k], projection: proj[k] }));
      up({ loaded: samples.length, fresh: p.fresh + gen.fresh, reused: p.reused + gen.reused });
    }
    up({ status: p.fresh === 0 && p.reused > 0 ? 'cached' : 'done' });
  } catch (e) {
    up({ status: ctx.signal.aborted || (e as { code?: string })?.code === 'cancelled' ? 'cancelled' : 'error' });
    throw e;
  }
  return { vectorName: cfg.vectorName, layer: cfg.layer, coeff: cfg.coeff, systemPrompt: cfg.systemPrompt, modelId, samples };
}

/* ---------- detection & ablation ---------- */

export interface DetectionConfig {
  labelA: string;
  labelB: string;
  setA: string[];
  setB: string[];
  seed: number;
  batchSize: number;
}

export interface DetectionResult {
  labelA: string;
  labelB: string;
  prompts: { text: string; set: 'A' | 'B' }[];
  modelId: string;
  separation: number[];
  /** Best layer by the probe's held-out AUROC, then separation (the engine's choice). */
  recommendedLayer: number;
  /** Held-out probe accuracy and AUROC per layer. */
  probeAccuracy: number[];
  probeAuroc: number[];
  /** In-sample AUROC of the detection score (projection onto the unit A−B direction) per layer. */
  auroc: number[];
  /** Per layer, per prompt (A then B): projection of the last prompt token onto the unit A−B direction. */
  scores: number[][];
  /** Diff of means A − B, [numLayers, D] (unnormalised, for steering and ablation). */
  set: VectorSet;
}

/** The engine's detectConditions (src/engine/vectors/detection.ts), cached as one step. */
export async function runDetection(ctx: Ctx, cfg: DetectionConfig, modelId: string, onStep: (s: StepProgress) => void): Promise<DetectionResult> {
  info(ctx.engine);
  if (cfg.setA.length < 2 || cfg.setB.length < 2) throw new EngineError('bad-input', 'Give at least two prompts in each set.');
  const a: Conversation[] = cfg.setA.map((user) => ({ user }));
  const b: Conversation[] = cfg.setB.map((user) => ({ user }));
  const total = a.length + b.length;
  let p: StepProgress = { name: 'collect', label: 'Last-token activations, probes', unit: 'prompts', status: 'running', loaded: 0, total, fresh: 0, reused: 0 };
  const up = (patch: Partial<StepProgress>) => { p = { ...p, ...patch }; onStep(p); };
  up({});
  try {
    const { value: rep, hit } = await cached(ctx, 'view-detect', { model: ctx.modelKey, a, b, seed: cfg.seed }, () => detectConditions(ctx.engine, a, b, {
      batchSize: cfg.batchSize, probe: { seed: cfg.seed }, signal: ctx.signal, onProgress: (e) => up({ loaded: e.loaded, fresh: e.loaded }),
    }));
    up(hit ? { status: 'cached', loaded: total, fresh: 0, reused: total } : { status: 'done', loaded: total });
    rep.vectors.meta.trait = `${cfg.labelA} − ${cfg.labelB}`;
    rep.vectors.meta.modelId = modelId;
    rep.vectors.meta.notes = `detection: last-token diff of means, ${a.length} vs ${b.length} prompts`;
    const fin = (x: number) => (Number.isFinite(x) ? x : x > 0 ? 1e6 : NaN);
    return {
      labelA: cfg.labelA, labelB: cfg.labelB, modelId,
      prompts: [...cfg.setA.map((text) => ({ text, set: 'A' as const })), ...cfg.setB.map((text) => ({ text, set: 'B' as const }))],
      separation: rep.layers.map((l) => fin(l.separation)),
      recommendedLayer: rep.recommendedLayer,
      probeAccuracy: rep.layers.map((l) => l.probeHeldOutAccuracy),
      probeAuroc: rep.layers.map((l) => l.probeHeldOutAuroc),
      auroc: rep.layers.map((l) => l.scoreAuroc),
      scores: rep.scores.a.map((sa, l) => [...sa, ...rep.scores.b[l]]),
      set: rep.vectors,
    };
  } catch (e) {
    up({ status: ctx.signal.aborted || (e as { code?: string })?.code === 'cancelled' ? 'cancelled' : 'error' });
    throw e;
  }
}

export interface AblationConfig {
  set: VectorSet;
  range: [number, number];
  strength: number;
  prompts: string[];
  gen: GenSettings;
}

export interface AblationResult { range: [number, number]; strength: number; rows: { prompt: string; plain: string; ablated: string }[] }

/** Each prompt twice: as is, and with h -= strength·(h·u)u on every layer of the range (that layer's own direction). */
export async function runAblation(ctx: Ctx, cfg: AblationConfig, onStep: (s: StepProgress) => void): Promise<AblationResult> {
  info(ctx.engine);
  const D = cfg.set.meta.hiddenSize;
  const specs: SteeringSpec[] = [];
  for (let l = cfg.range[0]; l <= cfg.range[1]; l++) {
    const direction = cfg.set.vectors.slice(l * D, (l + 1) * D);
    if (direction.some((x) => x !== 0)) specs.push({ layer: l, direction, ablate: cfg.strength, positions: 'all' });
  }
  if (!specs.length) throw new EngineError('bad-input', 'The direction is zero on every layer of the range.');
  const rows: GenRow[] = cfg.prompts.flatMap((q) => [{ user: q }, { user: q, steering: specs }]);
  let p: StepProgress = { name: 'ablate', label: 'Generate with and without ablation', unit: 'rows', status: 'running', loaded: 0, total: rows.length, fresh: 0, reused: 0 };
  const up = (patch: Partial<StepProgress>) => { p = { ...p, ...patch }; onStep(p); };
  up({});
  try {
    const gen = await generateCached(ctx, rows, cfg.gen, 'ablate-generate', (loaded, fresh, reused) => up({ loaded, fresh, reused }));
    up({ status: gen.fresh === 0 ? 'cached' : 'done' });
    return { range: cfg.range, strength: cfg.strength, rows: cfg.prompts.map((q, k) => ({ prompt: q, plain: gen.texts[2 * k], ablated: gen.texts[2 * k + 1] })) };
  } catch (e) {
    up({ status: ctx.signal.aborted || (e as { code?: string })?.code === 'cancelled' ? 'cancelled' : 'error' });
    throw e;
  }
}
