/** Request validation (beyond steering specs, which steering.ts resolves) and row grouping. */
import { EngineError } from '../../shared/errors';
import type { GenerateRequest, ModelInfo } from '../../shared/api';
import type { ModelConfig } from './config';
import { checkSampling } from './sampling';
import { assertFinite } from '../../shared/linalg';

export const MAX_ROWS = 64;
export const MAX_NEW_TOKENS = 4096;
/** Far past any useful blend; a bound catches a coefficient typed into the wrong field. */
export const MAX_ADAPTER_STRENGTH = 100;

function bad(msg: string): never {
  throw new EngineError('bad-input', msg);
}

export function validateRequest(req: GenerateRequest, info: ModelInfo, config: ModelConfig): void {
  if (!req || !Array.isArray(req.rows) || req.rows.length === 0) bad('A request needs at least one row with a prompt.');
  if (req.rows.length > MAX_ROWS) bad(`A request may have at most ${MAX_ROWS} rows; got ${req.rows.length}. Split the sweep.`);
  const n = req.maxNewTokens;
  if (!Number.isInteger(n) || n < 0 || n > Math.min(MAX_NEW_TOKENS, config.maxPositions)) {
    bad(`The number of new tokens must be a whole number from 0 to ${Math.min(MAX_NEW_TOKENS, config.maxPositions)} (this model's limit); got ${String(n)}. 0 reads the prompt without generating.`);
  }
  checkSampling(req.sampling);
  if (req.topLogprobs !== undefined && !(Number.isInteger(req.topLogprobs) && req.topLogprobs >= 1 && req.topLogprobs <= 100)) {
    bad(`topLogprobs must be an integer from 1 to 100; got ${String(req.topLogprobs)}.`);
  }
  const taps = new Set<string>(info.taps);
  for (const t of req.captures ?? []) {
    if (!taps.has(t)) bad(`Unknown tap "${t}". Taps are hook_embed and blocks.{L}.hook_resid_mid / hook_resid_post for L in 0..${info.numLayers - 1}.`);
  }
  req.rows.forEach((row, r) => {
    const p = row.prompt;
    const ok = typeof p === 'string' || (Array.isArray(p) && p.length > 0 && p.every((m) => m && typeof m.content === 'string' && ['system', 'user', 'assistant'].includes(m.role)));
    if (!ok) bad(`rows[${r}].prompt must be text or a non-empty list of {role: system|user|assistant, content}.`);
    const d = row.draft;
    if (d !== undefined && !(Array.isArray(d) && d.every((t) => Number.isInteger(t) && t >= 0 && t < info.vocabSize))) {
      bad(`rows[${r}].draft must be a list of token ids from 0 to ${info.vocabSize - 1} (a previous result's tokens); leave it out to generate without one.`);
    }
    const s = row.adapterStrength;
    if (s === undefined) return;
    if (!info.adapter) bad(`rows[${r}].adapterStrength is set but no LoRA adapter is loaded; load the model with an adapter first.`);
    if (typeof s !== 'number' || !Number.isFinite(s) || Math.abs(s) > MAX_ADAPTER_STRENGTH) {
      bad(`rows[${r}].adapterStrength must be a number from -${MAX_ADAPTER_STRENGTH} to ${MAX_ADAPTER_STRENGTH} (0 = base model, 1 = fine-tuned); got ${String(s)}.`);
    }
  });
  if (req.monitor) {
    const { layer, direction } = req.monitor;
    if (!Number.isInteger(layer) || layer < 0 || layer >= info.numLayers) bad(`monitor.layer ${String(layer)} is out of range 0..${info.numLayers - 1}.`);
    if (!direction || direction.length !== info.hiddenSize) bad(`monitor.direction has ${direction?.length ?? 0} values; this model's hidden size is ${info.hiddenSize}.`);
    assertFinite(direction, 'monitor.direction');
  }
}
