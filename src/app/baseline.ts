/**
 * The Steer view's baseline row, kept between runs. The baseline depends on the model, the prompt, the
 * sampling (seed, temperature), the length and the monitored direction (its projections are plotted), never
 * on the steering; so when only steering changed (a slider move, a new layer, a mode) only the steered row is
 * generated and the kept baseline is shown beside it. Each row samples with its own RNG seeded alike
 * (runtime/pick.ts), so a row alone gives the tokens it gives in the pair.
 */
import type { ChatMessage, GenerateRequest, GenerateResult, Monitor, Sampling, SteeringSpec } from '../engine/api';

export interface PairInput {
  /** What identifies the loaded model (id, dtype, device): a new model invalidates the baseline. */
  modelKey: string;
  prompt: string | ChatMessage[];
  steering: SteeringSpec[];
  sampling: Sampling;
  maxNewTokens: number;
  monitor?: Monitor;
}

export interface Baseline { key: string; text: string; projections: number[] }

export interface PairPlan {
  request: GenerateRequest;
  /** The kept baseline, or null when this request generates it (row 0). */
  baseline: Baseline | null;
  /** The steered row's index in the request. */
  steeredRow: number;
  key: string;
}

/** FNV-1a over the direction's bytes: the key must change when the monitored vector does, without holding it. */
function hashFloats(v: Float32Array): string {
  const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  let h = 2166136261;
  for (const b of bytes) h = Math.imul(h ^ b, 16777619) >>> 0;
  return `${v.length}:${h.toString(36)}`;
}

/** Everything the baseline row depends on, and nothing it does not (steering). */
export function baselineKey(p: PairInput): string {
  const monitor = p.monitor ? [p.monitor.layer, p.monitor.tap ?? 'hook_resid_post', hashFloats(p.monitor.direction)] : null;
  return JSON.stringify([p.modelKey, p.prompt, p.sampling.temperature ?? 0, p.sampling.topP ?? 1, p.sampling.seed ?? 0, p.maxNewTokens, monitor]);
}

export class BaselineKeeper {
  private kept: Baseline | null = null;

  plan(p: PairInput): PairPlan {
    const key = baselineKey(p);
    const baseline = this.kept?.key === key ? this.kept : null;
    const steered = { prompt: p.prompt, steering: p.steering };
    const rows = baseline ? [steered] : [{ prompt: p.prompt }, steered];
    return { request: { rows, maxNewTokens: p.maxNewTokens, sampling: p.sampling, monitor: p.monitor }, baseline, steeredRow: baseline ? 0 : 1, key };
  }

  /** Keeps row 0 of a finished two-row result as the baseline for `plan.key`. */
  keep(plan: PairPlan, result: GenerateResult): void {
    if (plan.baseline) return;
    this.kept = { key: plan.key, text: result.text[0] ?? '', projections: result.projections?.[0] ?? [] };
  }

  clear(): void {
    this.kept = null;
  }
}
