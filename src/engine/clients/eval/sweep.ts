/**
 * Coefficient sweeps: coefficients × evaluation questions, generated as batched rows (each row carries its own
 * steering, so one generate call covers many coefficients), optionally scored by a judge, with the response-mean
 * projection onto the vector at the steered layer, and a random-direction control of the same norm.
 *
 * The projection is read from the captured residual at `layer` (hook_resid_post, i.e. after the steering add),
 * averaged over each row's generated tokens: the same quantity the persona-vector recipe monitors.
 */
import type { Engine, Positions, ProgressEvent, Sampling, TapName } from '../../shared/api';
import { EngineError, toErrorData, type ErrorData } from '../../shared/errors';
import { responseMeanProjection } from '../vectors/projection';
import type { RowSpans } from '../vectors/pooling';
import { scoreAnswers, type Judge } from './scoring';
import { randomDirectionLike, summarizeFinite, type Summary } from './stats';

export interface SweepOptions {
  vector: Float32Array;
  layer: number;
  coeffs: number[];
  questions: string[];
  system?: string;
  positions?: Positions;
  maxNewTokens?: number;
  /** Rows per generate call (default 32, engine maximum 64). */
  batchSize?: number;
  sampling?: Sampling;
  /** Scores trait and coherence when given; projections are measured either way. */
  judge?: Judge;
  traitTemplate?: string;
  /** Random-direction control of the vector's norm (default true). */
  control?: boolean;
  controlSeed?: number;
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
  stage?: string;
}

export interface SweepRow {
  coeff: number;
  question: string;
  answer: string;
  /** true for rows steered by the random control direction. */
  control: boolean;
  trait: number | null;
  coherence: number | null;
  /** Mean over generated tokens of h·v̂ at the steered layer (NaN when nothing was generated). */
  projection: number;
}

/** mean ± sd over the scored samples; `unscored` counts null scores (judge gave no number). */
export interface ScoreSummary extends Summary { unscored: number }

export interface ConditionSummary {
  trait: ScoreSummary | null;
  coherence: ScoreSummary | null;
  projection: Summary;
}

export interface CoeffSummary extends ConditionSummary {
  coeff: number;
  /** The same coefficient applied to the random control direction. */
  control?: ConditionSummary;
}

export interface SweepResult {
  layer: number;
  coeffs: number[];
  vectorNorm: number;
  rows: SweepRow[];
  summary: CoeffSummary[];
  /** engine.generate calls and rows sent (batching is observable). */
  generateCalls: number;
  generatedRows: number;
}

/** Decoded text keeps special tokens; a trailing end-of-turn marker is not part of the answer. */
export const cleanAnswer = (text: string): string => text.replace(/(?:\s*<\|[^|<>]{1,40}\|>)+\s*$/, '').trim();

function scoreSummary(xs: (number | null)[]): ScoreSummary {
  const s = summarizeFinite(xs);
  return { ...s, unscored: xs.length - s.n };
}

function condition(rows: SweepRow[], scored: boolean): ConditionSummary {
  return {
    trait: scored ? scoreSummary(rows.map((r) => r.trait)) : null,
    coherence: scored ? scoreSummary(rows.map((r) => r.coherence)) : null,
    projection: summarizeFinite(rows.map((r) => r.projection)),
  };
}

/** Scoring failed after every answer was generated: the answers and projections are kept in `partial`. */
export class SweepScoringError extends EngineError {
  constructor(cause: ErrorData, readonly partial: SweepResult) {
    super(cause.code, `${cause.message} The ${partial.rows.length} generated answers and their projections are kept; only the scores are missing.`, cause.detail);
  }
}

export async function runSweep(engine: Engine, opts: SweepOptions): Promise<SweepResult> {
  const info = engine.info();
  if (!info) throw new EngineError('not-loaded', 'Load a model before running a sweep.');
  if (opts.coeffs.length === 0 || opts.questions.length === 0) throw new EngineError('bad-input', 'A sweep needs at least one coefficient and one question.');
  if (opts.vector.length !== info.hiddenSize) throw new EngineError('bad-input', `The vector has ${opts.vector.length} values; this model's hidden size is ${info.hiddenSize}.`);
  const withControl = opts.control ?? true;
  const control = withControl ? randomDirectionLike(opts.vector, opts.controlSeed ?? 0) : null;
  const tap = `blocks.${opts.layer}.hook_resid_post` as TapName;
  const positions = opts.positions ?? 'all';
  const batch = Math.max(1, Math.min(64, opts.batchSize ?? 32));
  const stage = opts.stage ?? 'sweep';

  const plan: Omit<SweepRow, 'answer' | 'trait' | 'coherence' | 'projection'>[] = [];
  for (const isControl of withControl ? [false, true] : [false]) {
    for (const coeff of new Set(opts.coeffs)) for (const question of opts.questions) plan.push({ coeff, question, control: isControl });
  }
  const rows: SweepRow[] = [];
  let generateCalls = 0;
  const total = plan.length;
  opts.onProgress?.({ stage, loaded: 0, total, done: false, detail: 'generating' });
  for (let i = 0; i < plan.length; i += batch) {
    if (opts.signal?.aborted) throw new EngineError('cancelled', 'The sweep was cancelled.');
    const part = plan.slice(i, i + batch);
    const res = await engine.generate({
      rows: part.map((p) => ({
        prompt: [...(opts.system ? [{ role: 'system' as const, content: opts.system }] : []), { role: 'user' as const, content: p.question }],
        label: `The sweep question "${p.question.slice(0, 40)}"`,
        steering: p.coeff === 0 ? [] : [{ layer: opts.layer, vector: p.control ? control! : opts.vector, coeff: p.coeff, positions }],
      })),
      maxNewTokens: opts.maxNewTokens ?? 48,
      sampling: opts.sampling,
      captures: [tap],
    }, { signal: opts.signal });
    generateCalls++;
    const spans: RowSpans[] = part.map((_, r) => ({
      offset: res.padLeft[r], prompt: [0, res.promptLengths[r]], response: [res.promptLengths[r], res.promptLengths[r] + res.tokens[r].length],
    }));
    // Every row is projected onto the real vector: the control shows what a same-size push does to that reading.
    const proj = responseMeanProjection(res.captures[tap], spans, opts.vector);
    part.forEach((p, r) => rows.push({ ...p, answer: cleanAnswer(res.text[r]), trait: null, coherence: null, projection: proj[r] }));
    opts.onProgress?.({ stage, loaded: Math.min(total, i + batch), total, done: !opts.judge && i + batch >= total, detail: 'generating' });
  }
  const result = (scored: boolean): SweepResult => {
    const summary: CoeffSummary[] = [...new Set(opts.coeffs)].sort((a, b) => a - b).map((coeff) => {
      const main = condition(rows.filter((r) => r.coeff === coeff && !r.control), scored);
      const ctrl = rows.filter((r) => r.coeff === coeff && r.control);
      return { coeff, ...main, ...(withControl ? { control: condition(ctrl, scored) } : {}) };
    });
    let n2 = 0;
    for (const x of opts.vector) n2 += x * x;
    return { layer: opts.layer, coeffs: opts.coeffs, vectorNorm: Math.sqrt(n2), rows, summary, generateCalls, generatedRows: total };
  };
  if (opts.judge) {
    if (!opts.traitTemplate) throw new EngineError('bad-input', 'Scoring a sweep needs the trait judge template.');
    try {
      const scores = await scoreAnswers(opts.judge, opts.traitTemplate, rows.map((r) => ({ question: r.question, answer: r.answer })), opts.signal);
      scores.forEach((s, i) => Object.assign(rows[i], s));
    } catch (e) {
      const cause = toErrorData(e);
      if (cause.code === 'cancelled') throw e;
      throw new SweepScoringError(cause, result(false));
    }
    opts.onProgress?.({ stage, loaded: total, total, done: true, detail: 'scored' });
  }
  return result(!!opts.judge);
}
