/**
 * The Steer view's baseline row, kept between runs. The baseline depends on the model, the prompt, the
 * sampling (seed, temperature), the length and the monitored direction (its projections are plotted), never
 * on the steering; so when only steering changed (a slider move, a new layer, a mode) only the steered row is
 * generated and the kept baseline is shown beside it. Each row samples with its own RNG seeded alike
 * (runtime/pick.ts), so a row alone gives the tokens it gives in the pair.
 *
 * The prompted row (the same question with the trait's instruction as system prompt, no steering) is kept the
 * same way: it is one more unsteered row whose key is the baseline key of its own prompt.
 *
 * The previous steered tokens under the same key go with a steered row that runs alone as its draft
 * (GenerateRow.draft): the next slider position mostly says what the last one did, and the engine keeps the
 * drafted tokens the model picks anyway in one pass instead of one pass each.
 */
import type { ChatMessage, GenerateRequest, GenerateResult, Monitor, Sampling, SteeringSpec } from '../engine/shared/api';

export interface PairInput {
  /** What identifies the loaded model (id, dtype, device): a new model invalidates the baseline. */
  modelKey: string;
  prompt: string | ChatMessage[];
  steering: SteeringSpec[];
  sampling: Sampling;
  maxNewTokens: number;
  monitor?: Monitor;
  /** The prompt with the trait's instruction as system prompt: asks for a third, unsteered row. */
  promptedPrompt?: string | ChatMessage[];
}

export interface Baseline {
  key: string;
  text: string;
  projections: number[];
  /** The text token by token as it streamed (tokenPieces.ts), for the heatmap; absent when not streamed. */
  pieces?: string[];
}

export interface PairPlan {
  request: GenerateRequest;
  /** The kept baseline, or null when this request generates it (row 0). */
  baseline: Baseline | null;
  /** The steered row's index in the request. */
  steeredRow: number;
  key: string;
  /** The kept prompted row, or null when this request generates it (or none was asked for). */
  prompted: Baseline | null;
  /** The prompted row's index in the request; -1 when it is kept or not asked for. */
  promptedRow: number;
  /** Null when no prompted row was asked for. */
  promptedKey: string | null;
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

/** Unsteered rows kept at once: the baseline and the prompted row, and the pair before the last change. */
const KEEP = 4;

export class BaselineKeeper {
  private kept = new Map<string, Baseline>();
  /** The steered row's tokens from the last finished run, and the baseline key they were generated under. */
  private lastSteered: { key: string; tokens: number[] } | null = null;

  plan(p: PairInput): PairPlan {
    const key = baselineKey(p);
    const promptedKey = p.promptedPrompt === undefined ? null : baselineKey({ ...p, prompt: p.promptedPrompt });
    const baseline = this.kept.get(key) ?? null;
    const prompted = promptedKey === null ? null : this.kept.get(promptedKey) ?? null;
    const rows: GenerateRequest['rows'] = [];
    if (!baseline) rows.push({ prompt: p.prompt });
    const promptedRow = promptedKey !== null && !prompted ? rows.push({ prompt: p.promptedPrompt! }) - 1 : -1;
    const draft = !rows.length && this.lastSteered?.key === key ? this.lastSteered.tokens : null;
    const steeredRow = rows.push({ prompt: p.prompt, steering: p.steering, ...(draft ? { draft } : {}) }) - 1;
    return { request: { rows, maxNewTokens: p.maxNewTokens, sampling: p.sampling, monitor: p.monitor }, baseline, steeredRow, key, prompted, promptedRow, promptedKey };
  }

  /** Keeps the unsteered rows a finished result generated (the baseline, row 0, and the prompted row); `pieces` per request row. */
  keep(plan: PairPlan, result: GenerateResult, pieces?: string[][]): void {
    const put = (key: string, r: number) => {
      this.kept.delete(key);
      const row: Baseline = { key, text: result.text[r] ?? '', projections: result.projections?.[r] ?? [] };
      if (pieces?.[r]) row.pieces = pieces[r];
      this.kept.set(key, row);
      while (this.kept.size > KEEP) this.kept.delete(this.kept.keys().next().value!);
    };
    if (!plan.baseline) put(plan.key, 0);
    const tokens = result.tokens[plan.steeredRow];
    if (tokens?.length) this.lastSteered = { key: plan.key, tokens: [...tokens] };
    if (plan.promptedKey !== null && plan.promptedRow >= 0) put(plan.promptedKey, plan.promptedRow);
  }

  clear(): void {
    this.kept.clear();
    this.lastSteered = null;
  }
}
