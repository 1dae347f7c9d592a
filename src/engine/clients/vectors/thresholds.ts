/**
 * Thresholds from data: the pooled projections of a prompt set onto a direction at a layer (one prompt
 * pass through any Engine), their percentiles (for a cap's band) and, from two labelled sets, the ROC
 * curve of a condition's threshold (for a gated add).
 */
import type { ChatMessage, Engine } from '../../shared/api';
import { EngineError } from '../../shared/errors';
import type { Pooling } from '../../shared/interventions/add';
import { norm } from '../../shared/linalg';
import { auroc } from './probe';
import { projectTokens } from './projection';

export interface ProjectionSet {
  /** Per prompt, its pooled score (mean over its tokens, or its last token). */
  scores: number[];
  /** Every prompt token's projection, all prompts together (the distribution a cap band is read from). */
  tokens: number[];
}

/** Projections onto unit(direction) of `hook_resid_post` at `layer`, per prompt and per token. */
export async function projectPrompts(engine: Engine, prompts: (string | ChatMessage[])[], layer: number, direction: ArrayLike<number>, pooling: Pooling = 'mean'): Promise<ProjectionSet> {
  if (!prompts.length) throw new EngineError('bad-input', 'Give at least one prompt to read projections from.');
  if (!(norm(direction) > 0)) throw new EngineError('bad-input', 'The direction is all zeros; projections need a direction.');
  const tap = `blocks.${layer}.hook_resid_post` as const;
  const res = await engine.generate({ rows: prompts.map((prompt) => ({ prompt })), maxNewTokens: 0, captures: [tap] });
  const S = res.captures[tap].shape[1];
  const all = projectTokens(res.captures[tap], direction);
  const out: ProjectionSet = { scores: [], tokens: [] };
  prompts.forEach((_, r) => {
    const from = r * S + res.padLeft[r];
    const row = Array.from(all.subarray(from, from + res.promptLengths[r]));
    out.tokens.push(...row);
    out.scores.push(pooling === 'last' ? row[row.length - 1] : row.reduce((a, b) => a + b, 0) / row.length);
  });
  return out;
}

/** The q-th percentile (0–100) by linear interpolation between order statistics (numpy's default). */
export function percentile(values: number[], q: number): number {
  if (!values.length) throw new EngineError('bad-input', 'No values to take a percentile of.');
  if (!(q >= 0 && q <= 100)) throw new EngineError('bad-input', `A percentile must be within 0..100, got ${q}.`);
  const s = [...values].sort((a, b) => a - b);
  const x = (q / 100) * (s.length - 1);
  const lo = Math.floor(x);
  return lo + 1 < s.length ? s[lo] + (x - lo) * (s[lo + 1] - s[lo]) : s[lo];
}

export interface RocPoint { threshold: number; tpr: number; fpr: number }

/**
 * The ROC curve of "score > threshold" separating `positive` from `negative` scores: one point per
 * distinct cut (midpoints between sorted scores, plus both ends), the area under it, and the cut that
 * maximises tpr − fpr (Youden's J).
 */
export function rocThreshold(positive: number[], negative: number[]): { points: RocPoint[]; auc: number; best: RocPoint } {
  if (!positive.length || !negative.length) throw new EngineError('bad-input', 'A threshold from labelled prompts needs at least one prompt of each kind.');
  const all = [...new Set([...positive, ...negative])].sort((a, b) => a - b);
  const cuts = [all[0] - 1, ...all.slice(0, -1).map((x, i) => (x + all[i + 1]) / 2), all[all.length - 1] + 1];
  const points = cuts.map((t) => ({ threshold: t, tpr: positive.filter((x) => x > t).length / positive.length, fpr: negative.filter((x) => x > t).length / negative.length }));
  const auc = auroc([...positive, ...negative], [...positive.map(() => true), ...negative.map(() => false)]);
  const best = points.reduce((b, p) => (p.tpr - p.fpr > b.tpr - b.fpr ? p : b));
  return { points, auc, best };
}
