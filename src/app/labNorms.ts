/**
 * The lab's residual-norm cache (residualNorms.ts) on the loaded model: every pass goes through the scheduler
 * under its own owner ("Strength"), so it waits for a model load, slips between a job's calls like a Steer
 * run, and never cancels the Steer run. actions.ts binds the scheduler once it exists.
 */
import { useEffect } from 'react';
import type { ChatMessage, ModelInfo } from '../engine/shared/api';
import type { Scheduler } from '../engine/clients/scheduler';
import { modelKeyOf } from '../engine/clients/eval/workflow';
import { measureResidualNorms } from '../engine/clients/vectors/strength';
import { EngineError } from '../engine/shared/errors';
import { createNormCache, normKey, type NormSlot } from './residualNorms';
import { getLab, useLab } from './store';

let scheduler: Scheduler | null = null;
/** How long a prompt must stay unchanged before its norms are measured. */
const TYPING_MS = 400;
export const bindNormScheduler = (s: Scheduler): void => { scheduler = s; };

/** What identifies the loaded model for the norms: a LoRA adapter changes them. */
export const normModelKey = (info: ModelInfo, modelId: string | null): string => `${modelKeyOf(info, modelId)}${info.adapter ? `#lora:${info.adapter.name}` : ''}`;

export const labNorms = createNormCache(async (prompt) => {
  const info = getLab().info;
  if (!info || !scheduler) throw new EngineError('not-loaded', 'Load a model to measure its residual norms.');
  const layers = Array.from({ length: info.numLayers }, (_, l) => l);
  const s = scheduler;
  return measureResidualNorms((req) => s.steer(req, {}, 'Strength'), prompt, layers, info.hiddenSize);
});

/** The norms of `prompt` on the loaded model (null while there is none): measured on first use, then cached. */
export function useResidualNorms(prompt: string | ChatMessage[] | null): NormSlot | null {
  const info = useLab((s) => (s.modelStatus === 'ready' ? s.info : null));
  const modelId = useLab((s) => s.modelId);
  const model = info ? normModelKey(info, modelId) : null;
  const key = model && prompt ? normKey(model, prompt) : null;
  const slot = labNorms.store((s) => (key ? s[key] : undefined));
  useEffect(() => {
    if (!model || !prompt) return;
    // A prompt being typed is a new prompt per keystroke: measure the one the typing stops at (a cached one at once).
    const t = setTimeout(() => void labNorms.ensure(model, prompt), labNorms.store.getState()[key!] ? 0 : TYPING_MS);
    return () => clearTimeout(t);
    // Keyed on `key`, which stands for model + prompt: a new array holding the same messages is the same prompt.
  }, [key]);
  return key ? slot ?? 'measuring' : null;
}
