/**
 * The persona-vector pipeline, resumable:
 *   generate  contrastive answers: (pos | neg system prompt) × extraction question, many rows per generate call;
 *   score     trait and coherence of every answer through a Judge (local model or OpenAI-compatible);
 *   filter    effective pairs: pos trait ≥ posMin, neg trait < negMax, both coherence ≥ minCoherence;
 *   extract   response-mean activations of the kept answers → per-layer diff-in-means + separation;
 *   sweep     (optional) coefficients × evaluation questions at the recommended layer.
 *
 * Every step's result is stored under a hash of its inputs (model id + dtype, pack, settings, upstream results),
 * in chunks for the long steps, so an interrupted run (AbortSignal, closed tab, killed CLI) resumes where it
 * stopped and a finished step is never recomputed. Each step reports how many rows it sent to the engine in
 * this run (0 when it came from the store), which makes resumption observable; `onStep` says so live, chunk by
 * chunk (units computed now vs taken from the store), for UIs that show a step as "cached".
 */
import type { Engine, ModelInfo, ProgressEvent, Sampling } from '../../shared/api';
import { EngineError, toErrorData, type ErrorData } from '../../shared/errors';
import { collectActivations, layerStack, type Conversation } from '../vectors/collect';
import { diffInMeans } from '../vectors/diffInMeans';
import type { PoolingKind, VectorSet } from '../vectors/meta';
import { separationByLayer, type SeparationReport } from '../vectors/separation';
import { cachedStep, stableHash, type StepStore } from './cache';
import { isKeptPair } from './pairFilter';
import { judgesCoherence, scoreAnswers, type Judge, type TraitScore } from './scoring';
import { cleanAnswer, runSweep, SweepScoringError, type SweepResult } from './sweep';
import type { TraitPack } from './traitPack';

export interface PipelineSettings {
  /** Use the first N instruction pairs / extraction questions (default: all). */
  maxInstructions?: number;
  maxQuestions?: number;
  maxNewTokens?: number;
  /** Default temperature 1 with seed 0: varied answers, reproducible run to run. */
  sampling?: Sampling;
  /** Rows per generate call (default 16; the engine takes at most 64). */
  batchSize?: number;
  /** Judge prompts per scoring chunk, each chunk stored on its own (default 32). */
  judgeBatchSize?: number;
  posMin?: number;
  negMax?: number;
  minCoherence?: number;
  /**
   * Judge coherence too (default true). Off: only the trait prompt is sent (small models cannot fit the long
   * coherence prompt), every coherence is null and the filter ignores coherence. (The optional sweep still
   * judges coherence.)
   */
  judgeCoherence?: boolean;
  /** Pairs with an answer the judge could not score (null) pass the filter on the scores that exist (default false: dropped). */
  keepUnscored?: boolean;
  /** Fewest effective pairs to extract from (default 1); fewer is a 'bad-input' error before extraction. */
  minPairs?: number;
  pooling?: PoolingKind;
  sweep?: { coeffs: number[]; layer?: number; maxQuestions?: number; maxNewTokens?: number };
}

export interface PipelineOptions {
  pack: TraitPack;
  judge: Judge;
  store: StepStore;
  settings?: PipelineSettings;
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
  /** Live per-step progress with cache reuse (see PipelineStepEvent). */
  onStep?: (e: PipelineStepEvent) => void;
  /** Model identity in cache keys (default: the engine's model id, dtype and shape). */
  modelKey?: string;
}

export type StepName = 'generate' | 'score' | 'extract' | 'sweep';

/**
 * One step's progress, after every chunk. Units: rows (generate), answers (score), pairs (filter, never stored),
 * conversations (extract), the whole sweep as 1. `fresh` units were computed in this run, `reused` ones came
 * from the store; a step that ends with fresh 0 came entirely from the store.
 */
export interface PipelineStepEvent {
  step: StepName | 'filter';
  loaded: number;
  total: number;
  fresh: number;
  reused: number;
  done: boolean;
  /** filter: the effective pairs. */
  kept?: number;
}

export interface StepReport {
  /** Everything came from the store. */
  cached: boolean;
  /** Rows sent to engine.generate by this step in this run (judge calls excluded). */
  generatedRows: number;
  /** Judge prompts scored in this run. */
  judged: number;
}

export interface PairRecord {
  instruction: number;
  question: string;
  pos: string;
  neg: string;
  posScore: TraitScore;
  negScore: TraitScore;
  kept: boolean;
}

export interface PipelineResult {
  vectors: VectorSet;
  /** null with fewer than 2 kept pairs (separation needs 3 samples). */
  separation: SeparationReport | null;
  pairs: PairRecord[];
  kept: number;
  steps: Partial<Record<StepName, StepReport>>;
  sweep?: SweepResult;
}

/** A pair as far as the pipeline got with it: scores once scored, `kept` once filtered. */
export type PartialPair = Omit<PairRecord, 'posScore' | 'negScore' | 'kept'> & Partial<Pick<PairRecord, 'posScore' | 'negScore' | 'kept'>>;

/** What a failed run had computed: every pair whose two answers exist, plus the vectors when extraction ran. */
export interface PipelinePartial {
  /** The step that failed. */
  step: StepName | 'filter';
  pairs: PartialPair[];
  steps: Partial<Record<StepName, StepReport>>;
  vectors?: VectorSet;
  separation?: SeparationReport | null;
  /** The sweep's generated answers and projections when only its scoring failed. */
  sweep?: SweepResult;
}

/** A step failed (not cancelled): the rows computed before it are kept in `partial` for the caller to show. */
export class PipelineStepError extends EngineError {
  constructor(cause: ErrorData, readonly partial: PipelinePartial) {
    const n = partial.pairs.length;
    super(cause.code, `${cause.message} (The ${partial.step} step failed; the ${n} pair${n === 1 ? '' : 's'} computed before it ${n === 1 ? 'is' : 'are'} kept.)`, cause.detail);
  }
}

const DEFAULTS = {
  maxNewTokens: 64, batchSize: 16, judgeBatchSize: 32, posMin: 50, negMax: 50, minCoherence: 50,
  judgeCoherence: true, keepUnscored: false, minPairs: 1, pooling: 'response-mean' as PoolingKind,
};

function cancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new EngineError('cancelled', 'The pipeline was cancelled; run it again to resume from the last finished step.');
}

/** What a run has computed so far: read back into a PipelinePartial when a step fails. */
interface RunState {
  step: PipelinePartial['step'];
  plan: { instruction: number; question: string; system: string }[];
  answers: string[];
  scores: TraitScore[];
  pairs?: PairRecord[];
  steps: Partial<Record<StepName, StepReport>>;
  extracted?: { vectors: VectorSet; separation: SeparationReport | null };
}

/** The pair of plan rows k (positive) and k + 1 (negative), before scoring. */
const pairAt = (run: RunState, k: number): PartialPair => ({
  instruction: run.plan[k].instruction, question: run.plan[k].question, pos: run.answers[k], neg: run.answers[k + 1],
});

/** Before the filter: every pair whose two answers exist, with its scores when both are in. */
function unfiltered(run: RunState): PartialPair[] {
  const out: PartialPair[] = [];
  for (let k = 0; k + 1 < run.answers.length; k += 2) {
    out.push({ ...pairAt(run, k), ...(k + 1 < run.scores.length ? { posScore: run.scores[k], negScore: run.scores[k + 1] } : {}) });
  }
  return out;
}

function partialOf(run: RunState, e: unknown): PipelinePartial {
  return {
    step: run.step, pairs: run.pairs ?? unfiltered(run), steps: run.steps, ...run.extracted,
    ...(e instanceof SweepScoringError ? { sweep: e.partial } : {}),
  };
}

/**
 * Runs the pipeline. A step that fails (anything but a cancellation) throws a PipelineStepError whose `partial`
 * holds every row computed before the failure; a cancellation throws as it is (the store already holds the
 * finished chunks, so running again resumes).
 */
export async function runPipeline(engine: Engine, opts: PipelineOptions): Promise<PipelineResult> {
  const info = engine.info();
  if (!info) throw new EngineError('not-loaded', 'Load a model before running the pipeline.');
  const run: RunState = { step: 'generate', plan: [], answers: [], scores: [], steps: {} };
  try {
    return await execute(engine, info, opts, run);
  } catch (e) {
    const cause = toErrorData(e);
    if (cause.code === 'cancelled') throw e;
    throw new PipelineStepError(cause, partialOf(run, e));
  }
}

async function execute(engine: Engine, info: ModelInfo, opts: PipelineOptions, run: RunState): Promise<PipelineResult> {
  const s = { ...DEFAULTS, ...opts.settings };
  const sampling = s.sampling ?? { temperature: 1, seed: 0 };
  const batch = Math.max(1, Math.min(64, s.batchSize));
  const { pack, store, judge, signal } = opts;
  const emit = (stage: StepName, loaded: number, total: number, detail?: string): void =>
    opts.onProgress?.({ stage, loaded, total, done: loaded === total, detail });
  /** Per-step unit counters behind onStep; `add` records one chunk (fresh or from the store). */
  const tracker = (step: PipelineStepEvent['step'], total: number) => {
    const e: PipelineStepEvent = { step, loaded: 0, total, fresh: 0, reused: 0, done: total === 0 };
    opts.onStep?.({ ...e });
    return (n: number, hit: boolean, extra?: Partial<PipelineStepEvent>): void => {
      e.loaded += n;
      if (hit) e.reused += n; else e.fresh += n;
      e.done = e.loaded === total;
      opts.onStep?.({ ...e, ...extra });
    };
  };
  const steps = run.steps;
  const model = opts.modelKey ?? { id: info.id, dtype: info.dtype, numLayers: info.numLayers, hiddenSize: info.hiddenSize };

  // ---- generate: one pos and one neg row per (instruction, question), pos/neg sharing batches.
  const instructions = pack.instructions.slice(0, s.maxInstructions ?? pack.instructions.length);
  const questions = pack.extractionQuestions.slice(0, s.maxQuestions ?? pack.extractionQuestions.length);
  const plan = run.plan = instructions.flatMap((ins, i) => questions.flatMap((q) => [
    { instruction: i, question: q, system: ins.pos }, { instruction: i, question: q, system: ins.neg },
  ]));
  const genReport: StepReport = { cached: true, generatedRows: 0, judged: 0 };
  steps.generate = genReport;
  const answers = run.answers;
  emit('generate', 0, plan.length);
  const genStep = tracker('generate', plan.length);
  for (let i = 0; i < plan.length; i += batch) {
    cancelled(signal);
    const part = plan.slice(i, i + batch);
    let hit = true;
    // Keyed by the rows themselves, so a different batch size still finds rows generated before.
    const chunk = await cachedStep(store, 'generate', { model, rows: part.map((p) => [p.system, p.question]), maxNewTokens: s.maxNewTokens, sampling }, async () => {
      const res = await engine.generate({
        rows: part.map((p) => ({ prompt: [{ role: 'system', content: p.system }, { role: 'user', content: p.question }], label: `The trait prompt (instruction + question "${p.question.slice(0, 40)}")` })),
        maxNewTokens: s.maxNewTokens, sampling,
      }, { signal });
      // Aborted while generating: what came back may be cut short, so it is not stored.
      cancelled(signal);
      hit = false;
      genReport.cached = false;
      genReport.generatedRows += part.length;
      return res.text.map(cleanAnswer);
    });
    answers.push(...chunk);
    emit('generate', i + part.length, plan.length);
    genStep(part.length, hit);
  }

  // ---- score: trait + coherence of every answer.
  cancelled(signal);
  run.step = 'score';
  const scoreReport: StepReport = { cached: true, generatedRows: 0, judged: 0 };
  steps.score = scoreReport;
  const scores = run.scores;
  const judgeBatch = Math.max(1, Math.floor(s.judgeBatchSize));
  // An answer-reading judge (lexical) grades no coherence, so the filter cannot ask for it.
  const coherence = s.judgeCoherence && judgesCoherence(judge);
  emit('score', 0, plan.length);
  const scoreStep = tracker('score', plan.length);
  for (let i = 0; i < plan.length; i += judgeBatch) {
    cancelled(signal);
    const items = plan.slice(i, i + judgeBatch).map((p, j) => ({ question: p.question, answer: answers[i + j] }));
    let hit = true;
    // `coherence: false` only when off, so keys of coherence-judged chunks stay as they always were.
    const chunk = await cachedStep(store, 'score', { judge: judge.id, evalPrompt: pack.evalPrompt, items, coherence: coherence ? undefined : false }, async () => {
      const got = await scoreAnswers(judge, pack.evalPrompt, items, signal, { coherence });
      cancelled(signal);
      hit = false;
      scoreReport.cached = false;
      scoreReport.judged += (coherence ? 2 : 1) * items.length;
      return got;
    });
    scores.push(...chunk);
    emit('score', i + items.length, plan.length);
    scoreStep(items.length, hit);
  }

  // ---- filter (pure): effective pairs.
  run.step = 'filter';
  const pairs: PairRecord[] = run.pairs = [];
  for (let k = 0; k < plan.length; k += 2) {
    const [ps, ns] = [scores[k], scores[k + 1]];
    const kept = isKeptPair({ answer: answers[k], score: ps }, { answer: answers[k + 1], score: ns }, { ...s, judgeCoherence: coherence });
    pairs.push({ ...pairAt(run, k), posScore: ps, negScore: ns, kept });
  }
  const keptPairs = pairs.filter((p) => p.kept);
  tracker('filter', pairs.length)(pairs.length, false, { kept: keptPairs.length });
  if (keptPairs.length === 0) {
    const coh = coherence ? ` and both coherent ≥ ${s.minCoherence}` : '';
    throw new EngineError('bad-input', `No effective pairs among ${pairs.length}: no positive answer scored ≥ ${s.posMin} with its negative < ${s.negMax}${coh}. Try more questions, longer answers or lower thresholds.`);
  }
  if (keptPairs.length < s.minPairs) {
    throw new EngineError('bad-input', `Only ${keptPairs.length} effective pair${keptPairs.length === 1 ? '' : 's'} of ${pairs.length}: extraction needs at least ${s.minPairs}. Lower the thresholds or use more pairs and questions.`);
  }

  // ---- extract: response-mean activations of kept answers (pos and neg in one collection) → vectors.
  cancelled(signal);
  run.step = 'extract';
  const extractReport: StepReport = { cached: true, generatedRows: 0, judged: 0 };
  steps.extract = extractReport;
  const conv = (p: PairRecord, side: 'pos' | 'neg'): Conversation => ({ system: instructions[p.instruction][side], user: p.question, assistant: p[side] });
  const convs = [...keptPairs.map((p) => conv(p, 'pos')), ...keptPairs.map((p) => conv(p, 'neg'))];
  emit('extract', 0, convs.length);
  const extractStep = tracker('extract', convs.length);
  let collected = 0;
  const extracted = await cachedStep(store, 'extract', { model, convs, pooling: s.pooling, trait: pack.name }, async () => {
    const got = await collectActivations(engine, convs, {
      pooling: [s.pooling], batchSize: batch, signal,
      // collect reports rows; its final event is ours too, emitted below once the vectors exist.
      onProgress: (e) => {
        if (e.done) return;
        emit('extract', e.loaded, convs.length);
        if (e.loaded > collected) extractStep(e.loaded - collected, false);
        collected = e.loaded;
      },
    });
    cancelled(signal);
    extractReport.cached = false;
    extractReport.generatedRows += convs.length;
    const stack = layerStack(got, s.pooling, info.numLayers);
    const n = keptPairs.length;
    const D = info.hiddenSize;
    const pos = stack.map((m) => m.slice(0, n * D));
    const neg = stack.map((m) => m.slice(n * D));
    const vectors = diffInMeans(pos, neg, { hiddenSize: D, modelId: info.id, architecture: info.architecture, pooling: s.pooling, trait: pack.name });
    const separation = n >= 2 ? separationByLayer(pos, neg, D) : null;
    return { vectors, separation };
  });
  run.extracted = extracted;
  emit('extract', convs.length, convs.length);
  extractStep(convs.length - collected, extractReport.cached);
  const result: PipelineResult = { vectors: extracted.vectors, separation: extracted.separation, pairs, kept: keptPairs.length, steps };

  // ---- sweep (optional): at the requested or the best-separated layer.
  if (s.sweep) {
    cancelled(signal);
    run.step = 'sweep';
    const sw = s.sweep;
    const layer = sw.layer ?? extracted.separation?.recommendedLayer ?? Math.floor(info.numLayers / 2);
    const D = info.hiddenSize;
    const vector = extracted.vectors.vectors.slice(layer * D, (layer + 1) * D);
    const evalQuestions = pack.evaluationQuestions.slice(0, sw.maxQuestions ?? 5);
    const sweepReport: StepReport = { cached: true, generatedRows: 0, judged: 0 };
    steps.sweep = sweepReport;
    const inputs = { model, vector: await stableHash(vector), layer, coeffs: sw.coeffs, evalQuestions, maxNewTokens: sw.maxNewTokens ?? 48, sampling, judge: judge.id, evalPrompt: pack.evalPrompt };
    emit('sweep', 0, 1);
    const sweepStep = tracker('sweep', 1);
    result.sweep = await cachedStep(store, 'sweep', inputs, async () => {
      const r = await runSweep(engine, {
        vector, layer, coeffs: sw.coeffs, questions: evalQuestions, maxNewTokens: inputs.maxNewTokens, sampling,
        batchSize: batch, judge, traitTemplate: pack.evalPrompt, signal,
      });
      cancelled(signal);
      sweepReport.cached = false;
      sweepReport.generatedRows += r.generatedRows;
      sweepReport.judged += 2 * r.rows.length;
      return r;
    });
    emit('sweep', 1, 1);
    sweepStep(1, sweepReport.cached);
  }
  return result;
}
