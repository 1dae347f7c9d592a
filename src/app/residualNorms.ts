/**
 * The lab's residual norms, behind every "× |h|" readout (Steer slot, Sweeps, run history): each layer's mean
 * residual norm on a prompt (vectors/strength.ts's rule), measured with one prompt-only pass over every layer and
 * cached per model and prompt, so moving a slider or switching layers costs nothing. Measurements run one at a
 * time: the scheduler lets the latest call of an owner win, and two readouts asking at once must not cancel
 * each other.
 */
import { create, type StoreApi, type UseBoundStore } from 'zustand';
import type { ChatMessage } from '../engine/shared/api';
import { RESIDUAL_NORM_RULE, type ResidualNorms } from '../engine/clients/vectors/strength';
import { num } from './format';

export interface NormEntry extends ResidualNorms {
  /** The prompt's text as the readout's tooltip quotes it. */
  measuredOn: string;
  model: string;
}

export type NormSlot = NormEntry | 'measuring' | { error: string };

export interface NormCache {
  store: UseBoundStore<StoreApi<Record<string, NormSlot>>>;
  /** Starts the measurement unless it is cached or under way; resolves to the entry (null when it failed or was cancelled). */
  ensure(model: string, prompt: string | ChatMessage[]): Promise<NormEntry | null>;
}

export const normKey = (model: string, prompt: string | ChatMessage[]): string => `${model}\u0000${JSON.stringify(prompt)}`;

/** What a readout says the norm was measured on: the prompt's messages, joined. */
export const promptText = (prompt: string | ChatMessage[]): string =>
  typeof prompt === 'string' ? prompt : prompt.map((m) => (m.role === 'user' ? m.content : `[${m.role}] ${m.content}`)).join(' ');

/** `measure` runs the prompt-only pass (every layer) on the model the lab has loaded now. */
export function createNormCache(measure: (prompt: string | ChatMessage[]) => Promise<ResidualNorms>): NormCache {
  const store = create<Record<string, NormSlot>>()(() => ({}));
  const inFlight = new Map<string, Promise<NormEntry | null>>();
  let queue: Promise<unknown> = Promise.resolve();
  function ensure(model: string, prompt: string | ChatMessage[]): Promise<NormEntry | null> {
    const key = normKey(model, prompt);
    const have = store.getState()[key];
    if (have && have !== 'measuring' && !('error' in have)) return Promise.resolve(have);
    const running = inFlight.get(key);
    if (running) return running;
    store.setState({ [key]: 'measuring' });
    const p = queue.then(async () => {
      try {
        const entry: NormEntry = { ...(await measure(prompt)), measuredOn: promptText(prompt), model };
        store.setState({ [key]: entry });
        return entry;
      } catch (e) {
        // A cancelled or failed pass is not cached as a number; the next readout that needs it asks again.
        store.setState({ [key]: { error: e instanceof Error ? e.message : String(e) } });
        return null;
      } finally {
        inFlight.delete(key);
      }
    });
    queue = p;
    inFlight.set(key, p);
    return p;
  }
  return { store, ensure };
}

/** A strength as the readouts print it: two decimals, signed, "0" for zero. */
export const fmtStrength = (x: number): string => (x === 0 ? '0' : Number.isFinite(x) ? `${x > 0 ? '' : '−'}${Math.abs(x).toFixed(2)}` : '—');

/** The tooltip: the conversion and what the norm was measured on. */
export function strengthBasis(e: NormEntry, layer: number, vectorNorm: number): string {
  const on = e.measuredOn.length > 80 ? `${e.measuredOn.slice(0, 79)}…` : e.measuredOn;
  return `strength = coeff × |v| ÷ mean |h|, with |v| = ${num(vectorNorm, 3)} and mean |h| = ${num(e.norms[layer], 3)} at L${layer}: ${RESIDUAL_NORM_RULE}, measured on "${on}" (${e.positions} tokens, ${e.model}).`;
}

