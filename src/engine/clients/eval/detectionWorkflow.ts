/**
 * Detection: last-token activations of two prompt sets, the per-layer A−B direction, its in-sample detection AUROC,
 * held-out probe accuracy/AUROC and in-sample separation (the engine's detectConditions), cached as one step.
 */
import { EngineError } from '../../shared/errors';
import type { Conversation } from '../vectors/collect';
import { detectConditions } from '../vectors/detection';
import type { VectorSet } from '../vectors/meta';
import { cappedSeparation } from '../vectors/separation';
import { cached, isCancel, loadedInfo, stepReporter, type StepProgress, type WorkflowCtx } from './workflow';

export interface DetectionConfig {
  labelA: string;
  labelB: string;
  setA: string[];
  setB: string[];
  seed: number;
  batchSize: number;
}

export interface DetectionResult {
  labelA: string;
  labelB: string;
  prompts: { text: string; set: 'A' | 'B' }[];
  modelId: string;
  /** In-sample separation per layer, +Infinity stored as SEPARATION_CAP. */
  separation: number[];
  /** Best layer by the probe's held-out AUROC, then separation (the engine's choice). */
  recommendedLayer: number;
  /** Held-out probe accuracy and AUROC per layer. */
  probeAccuracy: number[];
  probeAuroc: number[];
  /** In-sample AUROC of the detection score (projection onto the unit A−B direction) per layer. */
  auroc: number[];
  /** Per layer, per prompt (A then B): projection of the last prompt token onto the unit A−B direction. */
  scores: number[][];
  /** Diff of means A − B, [numLayers, D] (unnormalised, for steering and ablation). */
  set: VectorSet;
}

export async function detectionWorkflow(ctx: WorkflowCtx, cfg: DetectionConfig, modelId: string, onStep: (s: StepProgress) => void): Promise<DetectionResult> {
  loadedInfo(ctx.engine);
  if (cfg.setA.length < 2 || cfg.setB.length < 2) throw new EngineError('bad-input', 'Give at least two prompts in each set.');
  const a: Conversation[] = cfg.setA.map((user) => ({ user }));
  const b: Conversation[] = cfg.setB.map((user) => ({ user }));
  const total = a.length + b.length;
  const up = stepReporter({ name: 'collect', label: 'Last-token activations, probes', unit: 'prompts', total }, onStep);
  try {
    const { value: rep, hit } = await cached(ctx, 'view-detect', { model: ctx.modelKey, a, b, seed: cfg.seed }, () => detectConditions(ctx.engine, a, b, {
      batchSize: cfg.batchSize, probe: { seed: cfg.seed }, compute: ctx.compute, signal: ctx.signal, onProgress: (e) => up({ loaded: e.loaded, fresh: e.loaded }),
    }));
    up(hit ? { status: 'cached', loaded: total, fresh: 0, reused: total } : { status: 'done', loaded: total });
    const set: VectorSet = {
      ...rep.vectors,
      meta: { ...rep.vectors.meta, trait: `${cfg.labelA} − ${cfg.labelB}`, modelId, notes: `detection: last-token diff of means, ${a.length} vs ${b.length} prompts` },
    };
    return {
      labelA: cfg.labelA, labelB: cfg.labelB, modelId,
      prompts: [...cfg.setA.map((text) => ({ text, set: 'A' as const })), ...cfg.setB.map((text) => ({ text, set: 'B' as const }))],
      separation: rep.layers.map((l) => cappedSeparation(l.separation)),
      recommendedLayer: rep.recommendedLayer,
      probeAccuracy: rep.layers.map((l) => l.probeHeldOutAccuracy),
      probeAuroc: rep.layers.map((l) => l.probeHeldOutAuroc),
      auroc: rep.layers.map((l) => l.scoreAuroc),
      scores: rep.scores.a.map((sa, l) => [...sa, ...rep.scores.b[l]]),
      set,
    };
  } catch (e) {
    up({ status: isCancel(ctx, e) ? 'cancelled' : 'error' });
    throw e;
  }
}
