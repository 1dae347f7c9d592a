/**
 * Model B: a second full checkpoint (e.g. a fine-tune of model A exported on its own) that cannot share A's
 * session, so it gets its own worker and engine. Loading it checks it against model A (same layers, hidden
 * size, vocabulary and tokenizer: src/engine/clients/vectors/modelPair.ts) and refuses a mismatch with the
 * message that names what differs; unloading it terminates its worker, which frees everything it held.
 * Model B's engine is not behind the lab's scheduler: only the Seed 002 view's two-model run calls it.
 */
import { create } from 'zustand';
import type { Engine, ModelDtype, ModelInfo } from '../engine/shared/api';
import { EngineError, toErrorData } from '../engine/shared/errors';
import { assertComparableModels } from '../engine/clients/vectors/modelPair';
import { getScheduler } from './actions';
import { HUB_HOST, isValidHubId } from './presets';
import { getLab, pushError } from './store';
import { createWorkerEngine, type PortLike } from './workerEngine';

/** Served by the app (scripts/make-demo-model.ts): the demo model with the demo organism merged into its weights. */
export const MERGED_ORGANISM_ID = 'demo-organism-merged';
const SERVED_B = { 'demo-organism-merged': MERGED_ORGANISM_ID, demo: 'demo', tiny: 'tiny-test' } as const;
export type ModelBChoice = keyof typeof SERVED_B | 'hub';
export const MODEL_B_CHOICES: readonly ModelBChoice[] = [...(Object.keys(SERVED_B) as (keyof typeof SERVED_B)[]), 'hub'];

export interface ModelBState {
  choice: ModelBChoice;
  hubId: string;
  dtype: ModelDtype;
  status: 'idle' | 'loading' | 'ready' | 'error';
  modelId: string | null;
  info: ModelInfo | null;
}

export const useModelB = create<ModelBState>()(() => ({ choice: 'demo-organism-merged', hubId: '', dtype: 'fp32', status: 'idle', modelId: null, info: null }));
export const setModelB = useModelB.setState;

let worker: Worker | null = null;
let engine: Engine | null = null;
let seq = 0;

/** Model B's engine when it is loaded and checked against model A; null otherwise. */
export const modelBEngine = (): Engine | null => (useModelB.getState().status === 'ready' ? engine : null);

function sourceOf(s: ModelBState): { id: string; remoteHost: string } {
  if (s.choice === 'hub') {
    if (!isValidHubId(s.hubId)) throw new EngineError('bad-input', 'Model B: enter a hub model id like org/name.');
    return { id: s.hubId.trim(), remoteHost: HUB_HOST };
  }
  return { id: SERVED_B[s.choice], remoteHost: `${location.origin}/models/` };
}

/** Ends model B's worker (whatever it was doing) and forgets it. */
function terminate(): void {
  worker?.terminate();
  worker = null;
  engine = null;
}

export async function loadModelB(): Promise<boolean> {
  const s = useModelB.getState();
  const mine = ++seq;
  try {
    const { id, remoteHost } = sourceOf(s);
    if (!getLab().info) throw new EngineError('not-loaded', 'Load model A first (above): model B is checked against it.');
    terminate(); // a new B replaces the old one, worker and all
    setModelB({ status: 'loading', modelId: id, info: null });
    worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module', name: 'engine-b' });
    const e = createWorkerEngine(worker as unknown as PortLike);
    engine = e;
    const info = await e.load({ kind: 'hub', id }, { dtype: s.dtype, device: getLab().device, remoteHost });
    if (mine !== seq) return false;
    // A's tokenizer is read through the scheduler, like every call on model A.
    await getScheduler().job('Compare model B with model A', (a) => assertComparableModels(a, e)).result;
    if (mine !== seq) return false;
    setModelB({ status: 'ready', info });
    return true;
  } catch (err) {
    if (mine !== seq) return false;
    terminate();
    setModelB({ status: 'error', info: null });
    const d = toErrorData(err);
    if (d.code !== 'cancelled') pushError('Model B', d);
    return false;
  }
}

export function unloadModelB(): void {
  ++seq;
  terminate();
  setModelB({ status: 'idle', modelId: null, info: null });
}
