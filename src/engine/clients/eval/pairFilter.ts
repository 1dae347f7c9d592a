/**
 * The effective-pair rule of the persona-vector recipe, in one place: the pipeline keeps the pairs it passes and
 * the lab's pipeline view shows, for each dropped pair, the reason this same function gives.
 */
import type { TraitScore } from './scoring';

export interface FilterThresholds {
  /** The positive answer's trait score must be at least this. */
  posMin: number;
  /** The negative answer's trait score must be below this. */
  negMax: number;
  /** Both answers' coherence must be at least this (when coherence is judged). */
  minCoherence: number;
  judgeCoherence: boolean;
  /** Answers the judge could not score pass on the scores that exist (otherwise the pair is dropped). */
  keepUnscored: boolean;
}

export interface PairSide { answer: string; score: TraitScore }

/**
 * Why a pair is dropped, or null when it is kept: positive trait ≥ posMin, negative trait < negMax, both coherent
 * ≥ minCoherence when coherence is judged, and neither answer empty (an empty answer has no response tokens to
 * average). A null score drops the pair unless keepUnscored; then only the scores that exist are checked.
 */
export function pairVerdict(pos: PairSide, neg: PairSide, t: FilterThresholds): string | null {
  if (!pos.answer.trim() || !neg.answer.trim()) return 'empty response';
  const { trait: pt, coherence: pc } = pos.score;
  const { trait: nt, coherence: nc } = neg.score;
  if (!t.keepUnscored && (pt === null || nt === null)) return 'judge gave no trait score';
  if (!t.keepUnscored && t.judgeCoherence && (pc === null || nc === null)) return 'judge gave no coherence score';
  if (pt !== null && !(pt >= t.posMin)) return `positive trait ${pt.toFixed(0)} < ${t.posMin}`;
  if (nt !== null && !(nt < t.negMax)) return `negative trait ${nt.toFixed(0)} ≥ ${t.negMax}`;
  const low = (c: number | null): boolean => c !== null && !(c >= t.minCoherence);
  if (t.judgeCoherence && (low(pc) || low(nc))) return `coherence below ${t.minCoherence}`;
  return null;
}

export const isKeptPair = (pos: PairSide, neg: PairSide, t: FilterThresholds): boolean => pairVerdict(pos, neg, t) === null;
