/**
 * The lab's trait pipeline (generate → score → filter → extract): the engine's runPipeline with a view's
 * settings (the chosen judge, the user's thresholds, at least 2 effective pairs, which separation needs), its
 * per-step events turned into StepProgress, and for every dropped pair the reason pairVerdict gives.
 */
import type { VectorSet } from '../vectors/meta';
import { cappedSeparation } from '../vectors/separation';
import { pairVerdict } from './pairFilter';
import { PipelineStepError, runPipeline, type PartialPair, type PipelinePartial, type PipelineResult as EnginePipelineResult, type PipelineStepEvent } from './pipeline';
import { judgeLabel, judgesCoherence, type Judge } from './scoring';
import type { TraitPack } from './traitPack';
import { toErrorData, type ErrorData } from '../../shared/errors';
import { isCancel, judgeFor, loadedInfo, type GenSettings, type JudgeSettings, type StepProgress, type StepStatus, type WorkflowCtx } from './workflow';

export interface Thresholds {
  /** Positive response's trait score must be at least this. */
  posMin: number;
  /** Negative response's trait score must be below this. */
  negMax: number;
  /** Both responses' coherence must be at least this. */
  coherenceMin: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { posMin: 50, negMax: 50, coherenceMin: 50 };

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

export interface PipelineWorkflowResult {
  trait: string;
  modelId: string;
  /** Which judge scored (its label); absent in results recorded before judges had labels. */
  judge?: string;
  rows: PipelineRow[];
  effective: number;
  /** Present once extraction ran. */
  set?: VectorSet;
  /** In-sample separation per layer (see vectors/separation.ts), +Infinity stored as SEPARATION_CAP. */
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

export async function pipelineWorkflow(ctx: WorkflowCtx, cfg: PipelineConfig, modelId: string, onStep: (s: StepProgress) => void): Promise<PipelineWorkflowResult> {
  loadedInfo(ctx.engine);
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
  let judge: Judge | undefined;
  try {
    judge = await judgeFor(ctx.engine, { ...cfg.judge, coherence: true }, cfg.pack.markers);
    r = await runPipeline(ctx.engine, {
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
    // The failing step is the running one, else the next not started (e.g. extraction refused for too few pairs).
    const names = PIPELINE_STEPS.map((x) => x.name);
    const name = names.find((n) => last[n]?.status === 'running') ?? names.find((n) => !last[n]);
    if (name) show(name, isCancel(ctx, e) ? { status: 'cancelled', note: 'Cancelled: finished work is cached; run again to resume.' } : { status: 'error', note: (e as Error)?.message });
    // A failed step: every pair computed before it comes back with the error (a partial result is never recorded).
    if (e instanceof PipelineStepError && judge) return { ...viewResult(e.partial, judge), error: toErrorData(e) };
    throw e;
  }
  return viewResult(r, judge);

  function viewResult(r: Pick<PipelinePartial, 'pairs' | 'vectors' | 'separation'>, judge: Judge): PipelineWorkflowResult {
    const filter = {
      posMin: t.posMin, negMax: t.negMax, minCoherence: t.coherenceMin,
      judgeCoherence: cfg.judge.coherence && judgesCoherence(judge), keepUnscored: !!cfg.judge.keepUnscored,
    };
    const rows = r.pairs.map((p) => viewRow(p, filter));
    const kept = r.pairs.filter((p) => p.kept).length;
    const set: VectorSet | undefined = r.vectors && { ...r.vectors, meta: { ...r.vectors.meta, modelId, notes: `trait pipeline: ${kept} effective pairs of ${rows.length}` } };
    return {
      trait: cfg.pack.name, modelId, judge: judgeLabel(judge), rows, effective: kept, thresholds: t, ...(set ? { set } : {}),
      separation: r.separation?.layers.map((l) => cappedSeparation(l.separation)),
      recommendedLayer: r.separation?.recommendedLayer,
    };
  }

  function viewRow(p: PartialPair, filter: Parameters<typeof pairVerdict>[2]): PipelineRow {
    const ins = cfg.pack.instructions[p.instruction];
    // The engine decided what is kept with the same rule; here it only words why a pair was dropped.
    const verdict = p.kept === undefined ? (p.posScore ? 'not filtered: the run stopped' : 'not scored: the run stopped')
      : p.kept ? null : (p.posScore && p.negScore && pairVerdict({ answer: p.pos, score: p.posScore }, { answer: p.neg, score: p.negScore }, filter)) || 'filtered out';
    return {
      pair: p.instruction, question: p.question, pos: ins.pos, neg: ins.neg, posText: p.pos, negText: p.neg,
      posTrait: p.posScore?.trait ?? null, negTrait: p.negScore?.trait ?? null, posCoherence: p.posScore?.coherence ?? null, negCoherence: p.negScore?.coherence ?? null, verdict,
    };
  }
}
