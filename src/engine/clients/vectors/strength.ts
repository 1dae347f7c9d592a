/**
 * Steering strength in normalised units. A raw coefficient means nothing across layers or models (residual
 * norms grow with depth and differ by orders of magnitude between models), so the lab also states it as a
 * multiple of the steered layer's mean residual norm: strength = |coeff · v| / meanNorm(layer).
 *
 * The mean norm is measured on a prompt with one prompt-only forward pass. The first token is left out: its
 * residual is an outlier in many models (an attention sink, often tens of times the others) and would set the
 * scale alone. This module is the one place that rule and the conversion live; the layer × strength map and
 * every readout in the lab call it.
 */
import type { ChatMessage, GenerateRequest, GenerateResult, TapName } from '../../shared/api';
import { EngineError } from '../../shared/errors';
import { norm } from '../../shared/linalg';

/** What the mean residual norm is, in words (tooltips, captions). */
export const RESIDUAL_NORM_RULE = "mean |h| over the prompt's tokens after the first, at the output of model.layers[L] (hook_resid_post)";

export const residualTap = (layer: number): TapName => `blocks.${layer}.hook_resid_post` as TapName;

/** The label of the pass's row: errors about the prompt name it so, and the browser tests tell these passes apart by it. */
export const RESIDUAL_NORM_LABEL = 'the prompt whose residual norm is measured';

/** The prompt-only pass that reads `layers`' residuals over one prompt. */
export function residualNormRequest(prompt: string | ChatMessage[], layers: number[]): GenerateRequest {
  return { rows: [{ prompt, label: RESIDUAL_NORM_LABEL }], maxNewTokens: 0, captures: layers.map(residualTap) };
}

export interface ResidualNorms {
  /** Per entry of `layers`: the mean residual norm (RESIDUAL_NORM_RULE). */
  norms: number[];
  /** How many positions were averaged. */
  positions: number;
}

/** Reads the mean residual norms of row 0 of a `residualNormRequest` result. */
export function residualNormsOf(res: GenerateResult, layers: number[], hiddenSize: number): ResidualNorms {
  const len = res.promptLengths[0];
  const from = res.padLeft[0] + (len > 1 ? 1 : 0);
  const to = res.padLeft[0] + len;
  const norms = layers.map((l) => {
    const c = res.captures[residualTap(l)];
    if (!c) throw new EngineError('bad-input', `The pass did not capture layer ${l}'s residual stream (${residualTap(l)}).`);
    let sum = 0;
    for (let s = from; s < to; s++) sum += norm(c.data.subarray(s * hiddenSize, (s + 1) * hiddenSize));
    return sum / (to - from);
  });
  return { norms, positions: to - from };
}

/** One prompt-only pass through `generate` (an engine's, or a scheduler's), then the norms. */
export async function measureResidualNorms(
  generate: (req: GenerateRequest) => Promise<GenerateResult>, prompt: string | ChatMessage[], layers: number[], hiddenSize: number,
): Promise<ResidualNorms> {
  if (!layers.length) throw new EngineError('bad-input', 'Name at least one layer to measure the residual norm at.');
  return residualNormsOf(await generate(residualNormRequest(prompt, layers)), layers, hiddenSize);
}

/** The coefficient that pushes `strength` × the layer's mean residual norm along a vector of norm `vectorNorm`. */
export function coeffForStrength(strength: number, residualNorm: number, vectorNorm: number): number {
  return (strength * residualNorm) / vectorNorm;
}

/** The inverse: a raw coefficient as a multiple of the layer's mean residual norm (NaN when either norm is not positive). */
export function strengthOfCoeff(coeff: number, residualNorm: number, vectorNorm: number): number {
  return residualNorm > 0 && vectorNorm > 0 ? (coeff * vectorNorm) / residualNorm : NaN;
}
