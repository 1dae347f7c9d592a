/**
 * The lab's coefficient sweep: the engine's runSweep (batched rows with per-row steering, the projection at the
 * steered layer, the random-direction control, trait + coherence by the judge) with a view's settings, cached as
 * one step. Scoring that fails after generation keeps every generated row (a partial result is never cached).
 */
import { toErrorData, type ErrorData } from '../../shared/errors';
import type { Lexicon } from './lexicalJudge';
import { judgeLabel } from './scoring';
import { runSweep, SweepScoringError, type SweepResult } from './sweep';
import { cached, isCancel, judgeFor, loadedInfo, stepReporter, type GenSettings, type JudgeSettings, type StepProgress, type WorkflowCtx } from './workflow';

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

export interface SweepWorkflowResult {
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

export async function sweepWorkflow(ctx: WorkflowCtx, cfg: SweepConfig, modelId: string, onStep: (s: StepProgress) => void): Promise<SweepWorkflowResult> {
  loadedInfo(ctx.engine);
  const judge = await judgeFor(ctx.engine, cfg.judge, cfg.markers);
  const total = cfg.coeffs.length * cfg.questions.length * (cfg.randomControl ? 2 : 1);
  const up = stepReporter({ name: 'sweep', label: 'Generate, project & score', unit: 'rows', total }, onStep);
  const viewResult = (value: SweepResult): SweepWorkflowResult => ({
    vectorName: cfg.vectorName, judge: judgeLabel(judge), layer: cfg.layer, coeffs: [...new Set(cfg.coeffs)].sort((x, y) => x - y), questions: cfg.questions, modelId,
    samples: value.rows.map((r) => ({ condition: r.control ? 'random' : 'vector', coeff: r.coeff, question: r.question, answer: r.answer, trait: r.trait, coherence: r.coherence, projection: r.projection })),
  });
  try {
    const inputs = {
      model: ctx.modelKey, vector: cfg.vector, layer: cfg.layer, coeffs: cfg.coeffs, questions: cfg.questions, positions: cfg.positions,
      control: cfg.randomControl, controlSeed: cfg.controlSeed, gen: cfg.gen, judge: judge.id, evalPrompt: cfg.evalPrompt,
    };
    const { value, hit } = await cached(ctx, 'view-sweep', inputs, () => runSweep(ctx.engine, {
      vector: cfg.vector, layer: cfg.layer, coeffs: cfg.coeffs, questions: cfg.questions, positions: cfg.positions,
      maxNewTokens: cfg.gen.maxNewTokens, batchSize: cfg.gen.batchSize, sampling: { temperature: cfg.gen.temperature, seed: cfg.gen.seed },
      judge, traitTemplate: cfg.evalPrompt, control: cfg.randomControl, controlSeed: cfg.controlSeed, signal: ctx.signal,
      onProgress: (e) => up({ loaded: e.loaded, fresh: e.loaded, note: e.detail === 'generating' && e.loaded === e.total ? 'scoring with the judge…' : undefined }),
    }));
    up(hit ? { status: 'cached', loaded: total, fresh: 0, reused: total, note: undefined } : { status: 'done', loaded: total, fresh: total, note: undefined });
    return viewResult(value);
  } catch (e) {
    if (e instanceof SweepScoringError) {
      up({ status: 'error', note: 'answers kept; scoring failed' });
      return { ...viewResult(e.partial), error: toErrorData(e) };
    }
    up({ status: isCancel(ctx, e) ? 'cancelled' : 'error' });
    throw e;
  }
}
