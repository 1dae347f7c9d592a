/**
 * Plumbing shared by the lab's experiment workflows (pipeline, sweep, monitor, detection, ablation) over the
 * Engine interface. The lab and the CLI both run these workflows, so a view and its command give the same numbers.
 *
 * Every workflow makes its engine calls one after another (its batches are already as large as the engine takes),
 * checks its AbortSignal between batches and passes it to every engine call. Generation and judging are cached per
 * batch on a StepStore, so a cancelled run restarted with the same inputs skips what it already did (and its
 * progress says so).
 */
import type { Compute } from '../vectors/compute';
import type { ChatMessage, Engine, GenerateRow, ModelInfo, SteeringSpec, TapName } from '../../shared/api';
import { EngineError } from '../../shared/errors';
import { collectActivations, type Conversation } from '../vectors/collect';
import { projectRows } from '../vectors/projection';
import { stepKey, type StepStore } from './cache';
import { COHERENCE_TEMPLATE } from './judge';
import { createLexicalJudge, type Lexicon } from './lexicalJudge';
import { createLocalJudge } from './localJudge';
import type { Judge } from './scoring';
import { cleanAnswer } from './sweep';

export type StepStatus = 'pending' | 'running' | 'done' | 'cached' | 'error' | 'cancelled';

/** One step's progress as a view shows it: `fresh` units were computed now, `reused` came from the cache. */
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

export interface WorkflowCtx {
  engine: Engine;
  store: StepStore;
  signal: AbortSignal;
  /** Model identity for cache keys: id + dtype + shape (a different quantisation generates different text). */
  modelKey: string;
  /** Where heavy pure maths (probe training) runs; absent: in this thread (vectors/compute.ts). */
  compute?: Compute;
}

export const modelKeyOf = (info: ModelInfo, name?: string | null): string => `${name ?? info.id}#${info.dtype}#${info.numLayers}x${info.hiddenSize}`;

export function checkAbort(signal: AbortSignal): void {
  if (signal.aborted) throw new EngineError('cancelled', 'The experiment was cancelled.');
}

export const isCancel = (ctx: WorkflowCtx, e: unknown): boolean => ctx.signal.aborted || (e as { code?: string })?.code === 'cancelled';

/** cachedStep that also says whether it hit. */
export async function cached<T>(ctx: WorkflowCtx, step: string, inputs: unknown, compute: () => Promise<T>): Promise<{ value: T; hit: boolean }> {
  const key = await stepKey(step, inputs);
  const hit = await ctx.store.get(key);
  if (hit !== undefined) return { value: hit as T, hit: true };
  const value = await compute();
  checkAbort(ctx.signal);
  await ctx.store.set(key, value);
  return { value, hit: false };
}

export function loadedInfo(engine: Engine): ModelInfo {
  const i = engine.info();
  if (!i) throw new EngineError('not-loaded', 'Load a model first.');
  return i;
}

/** A progress reporter for one step: `up(patch)` merges, stamps the elapsed time and calls onStep. */
export function stepReporter(init: Omit<StepProgress, 'status' | 'loaded' | 'fresh' | 'reused'>, onStep: (s: StepProgress) => void) {
  let p: StepProgress = { ...init, status: 'running', loaded: 0, fresh: 0, reused: 0 };
  const t0 = performance.now();
  const up = (patch: Partial<StepProgress>): StepProgress => { p = { ...p, ...patch, ms: performance.now() - t0 }; onStep(p); return p; };
  up({});
  return up;
}

/** A row prompt: chat messages when the model has a template, plain text otherwise. */
export function promptOf(i: ModelInfo, user: string, system?: string): string | ChatMessage[] {
  if (!i.hasChatTemplate) return system ? `${system}\n\n${user}` : user;
  return system ? [{ role: 'system', content: system }, { role: 'user', content: user }] : [{ role: 'user', content: user }];
}

export interface GenRow { system?: string; user: string; steering?: SteeringSpec[] }

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
 * The judge a workflow runs with: the lexical judge over the pack's markers, or the loaded model (trait-only when
 * coherence is off). Its label is what a view shows as "scored by".
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

/** Generates rows in batches, each batch cached; calls onBatch(rowsDone, fresh, reused) after each. */
export async function generateCached(
  ctx: WorkflowCtx, rows: GenRow[], g: GenSettings, step: string, onBatch: (done: number, fresh: number, reused: number) => void,
): Promise<{ texts: string[]; fresh: number; reused: number }> {
  const i = loadedInfo(ctx.engine);
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
      return res.text.map(cleanAnswer);
    });
    texts.push(...value);
    if (hit) reused += part.length; else fresh += part.length;
    onBatch(texts.length, fresh, reused);
  }
  return { texts, fresh, reused };
}

/** Mean response projection at `layer` onto unit(direction), re-reading each answer without steering; NaN for an empty answer. */
export async function responseProjections(ctx: WorkflowCtx, convs: Conversation[], layer: number, direction: Float32Array, batchSize: number): Promise<number[]> {
  const out = new Array<number>(convs.length).fill(NaN);
  const keep = convs.map((c, k) => [c, k] as const).filter(([c]) => (c.assistant ?? '').trim().length > 0);
  if (!keep.length) return out;
  const tap = `blocks.${layer}.hook_resid_post` as TapName;
  const { value } = await cached(ctx, 'project', { model: ctx.modelKey, layer, convs: keep.map(([c]) => c) }, async () => {
    const col = await collectActivations(ctx.engine, keep.map(([c]) => c), { taps: [tap], pooling: ['response-mean'], batchSize, signal: ctx.signal });
    return col.pooled['response-mean']![tap];
  });
  const proj = projectRows(value, direction.length, direction);
  keep.forEach(([, k], r) => { out[k] = proj[r]; });
  return out;
}
