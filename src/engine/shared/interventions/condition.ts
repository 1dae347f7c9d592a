/**
 * Conditional steering (CAST-style): an add whose `when` condition is evaluated on the row's prompt.
 *
 * Semantics, chosen to be exact and simple: before generating, the engine runs one prompt pass over
 * every row with the row's ungated specs only (adds without `when`, ablations, caps) and captures the
 * condition layers. A condition's score is the projection of that row's `hook_resid_post` at `layer`
 * onto its unit direction, pooled over the prompt's tokens ('mean': every prompt token; 'last': the last
 * one). It fires when the score is above `threshold`. Generation then runs with the gated adds of rows
 * whose condition fired, and without them elsewhere; rows of one batch decide independently.
 */
import type { Capture, TapName } from '../api';
import type { ResolvedSpec } from './registry';
import type { ResolvedAdd } from './add';

/** One gated add's outcome: which spec of the row (index into its steering), its score and whether it fired. */
export interface ConditionOutcome { spec: number; layer: number; projection: number; fired: boolean }

export const isGated = (s: ResolvedSpec): s is ResolvedAdd & { when: NonNullable<ResolvedAdd['when']> } => s.kind === 'add' && s.when !== undefined;

export const hasConditions = (rows: ResolvedSpec[][]): boolean => rows.some((specs) => specs.some(isGated));

/** The taps the condition pass must capture. */
export const conditionTaps = (rows: ResolvedSpec[][]): TapName[] =>
  [...new Set(rows.flatMap((specs) => specs.filter(isGated).map((s) => `blocks.${s.when.layer}.hook_resid_post` as TapName)))];

/**
 * Scores every gated add on the condition pass's captures (left-padded by `padLeft`, the row's prompt
 * `promptLengths[r]` tokens long) and returns the steering to generate with plus the outcomes per row.
 */
export function evaluateConditions(rows: ResolvedSpec[][], captures: Record<string, Capture>, padLeft: number[], promptLengths: number[]): { steering: ResolvedSpec[][]; outcomes: ConditionOutcome[][] } {
  const outcomes: ConditionOutcome[][] = rows.map(() => []);
  const steering = rows.map((specs, r) => specs.filter((s, i) => {
    if (!isGated(s)) return true;
    const c = captures[`blocks.${s.when.layer}.hook_resid_post`];
    const [, S, D] = c.shape;
    const from = s.when.pooling === 'last' ? padLeft[r] + promptLengths[r] - 1 : padLeft[r];
    const to = padLeft[r] + promptLengths[r];
    let sum = 0;
    for (let p = from; p < to; p++) {
      const o = (r * S + p) * D;
      for (let d = 0; d < D; d++) sum += c.data[o + d] * s.when.unit[d];
    }
    const projection = sum / (to - from);
    const fired = projection > s.when.threshold;
    outcomes[r].push({ spec: i, layer: s.when.layer, projection, fired });
    return fired;
  }));
  return { steering, outcomes };
}
